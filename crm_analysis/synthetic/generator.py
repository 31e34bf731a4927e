"""``generate``: run every step of the generative process and assemble the tables.

Streams: one ``numpy.random.SeedSequence(seed)`` spawns an independent generator per step, so
the same seed gives identical tables and a step's draws do not depend on how many numbers an
earlier step used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis.synthetic import dirt as dirt_mod
from crm_analysis.synthetic.campaigns import (
    contacts_table,
    converted_flags,
    draw_campaigns,
    true_uplift,
)
from crm_analysis.synthetic.config import ORDER_CHANNELS, SyntheticConfig
from crm_analysis.synthetic.customers import (
    ACQUISITION_CHANNELS,
    REGIONS,
    customer_ids,
    customers_table,
    draw_population,
)
from crm_analysis.synthetic.dirt import CODE, DIRT_KINDS
from crm_analysis.synthetic.ids import categorical_strings, id_series
from crm_analysis.synthetic.orders import (
    NO_RETURN,
    Baskets,
    Returns,
    draw_baskets,
    draw_order_channel,
    draw_returns,
    line_totals,
)
from crm_analysis.synthetic.products import draw_catalogue, products_table
from crm_analysis.synthetic.purchases import simulate_purchases
from crm_analysis.synthetic.rows import (
    ORDER_BASE,
    Rows,
    concat,
    customer_id_series,
    items_frame,
    n_rows,
    orders_frame,
    take,
)
from crm_analysis.synthetic.service import tickets_table
from crm_analysis.synthetic.timegrid import to_timestamps

TABLE_NAMES: tuple[str, ...] = (
    "customers",
    "products",
    "orders",
    "order_items",
    "service_tickets",
    "campaigns",
    "campaign_contacts",
)
SOURCES = ("latent", "campaign", "guest")


@dataclass
class SyntheticData:
    """A generated data set.

    Attributes
    ----------
    tables
        The raw export, table name -> DataFrame (with dirt when ``config.dirty``; then
        ``orders.order_date`` holds strings in mixed formats).
    clean
        What cleaning should produce from ``tables``: same table names, contract dtypes.
    truth
        ``customers`` (latent parameters and outcomes per customer), ``orders`` (per clean
        order: source, drawn value, gross amount), ``uplift`` (per campaign contact) and
        ``dirt_log`` (one row per injected dirty row).
    config
        The :class:`SyntheticConfig` that produced it.
    """

    tables: dict[str, pd.DataFrame]
    clean: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    config: SyntheticConfig = field(default_factory=SyntheticConfig)


def _raw_amounts(orders: Rows, items: Rows) -> np.ndarray:
    """Each order row's amount: the rounded sum of its lines (matched on number and C flag)."""
    okey = orders["num"] * 2 + orders["is_c"]
    ikey = items["num"] * 2 + items["is_c"]
    sorter = np.argsort(okey, kind="stable")
    pos = np.searchsorted(okey, ikey, sorter=sorter)
    pos = np.minimum(pos, okey.size - 1)
    row = sorter[pos]
    found = okey[row] == ikey
    value = items["qty"] * items["price"] * (1.0 - items["discount"])
    return line_totals(row[found], value[found], okey.size)


def _sort_rows(rows: Rows, keys: tuple[str, ...]) -> Rows:
    order = np.lexsort(tuple(rows[k] for k in reversed(keys)))
    return take(rows, order)


def generate(cfg: SyntheticConfig | None = None) -> SyntheticData:
    """Generate a synthetic CRM data set with known ground truth.

    Parameters
    ----------
    cfg
        Parameters; ``SyntheticConfig()`` (20,000 customers, 2023-2025, dirty) when omitted.

    Returns
    -------
    SyntheticData
        Raw tables, clean tables and truth tables.

    Examples
    --------
    >>> data = generate(SyntheticConfig(n_customers=200, seed=1))
    >>> sorted(data.tables)[:3]
    ['campaign_contacts', 'campaigns', 'customers']
    """
    cfg = cfg if cfg is not None else SyntheticConfig()
    (r_pop, r_cat, r_purch, r_camp, r_guest, r_basket, r_ret, r_tick, r_dirt) = (
        np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(9)
    )
    pop = draw_population(cfg, r_pop)
    catalogue = draw_catalogue(cfg, r_cat)
    latent = simulate_purchases(cfg, pop, r_purch)
    camp = draw_campaigns(cfg, r_camp, pop, latent.customer, latent.minute)
    events = _order_events(cfg, pop, latent, camp, r_guest)
    book = _order_book(cfg, events, pop, catalogue, r_basket, r_ret)

    tickets = tickets_table(cfg, latent.tickets, latent.customer, r_tick)
    converted = converted_flags(
        camp.customer,
        camp.sent_minute,
        cfg.attribution_window_days,
        events.customer[~events.guest],
        events.minute[~events.guest],
    )
    contacts = contacts_table(cfg, camp, converted)
    customers_clean = customers_table(cfg, pop)
    products_clean = products_table(catalogue)
    logs = []
    if cfg.dirty:
        customers_raw, customers_clean, log_c = dirt_mod.dirty_customers(
            cfg, r_dirt, customers_clean
        )
        products_raw, log_p = dirt_mod.dirty_products(cfg, r_dirt, products_clean)
        logs += [log_c, log_p]
    else:
        customers_raw, products_raw = customers_clean.copy(), products_clean.copy()

    raw_orders, raw_lines = _raw_rows(cfg, book, catalogue, r_dirt)
    tables = {
        "customers": customers_raw,
        "products": products_raw,
        "orders": orders_frame(cfg, raw_orders, date_strings=cfg.dirty),
        "order_items": items_frame(raw_lines),
        "service_tickets": tickets,
        "campaigns": camp.table,
        "campaign_contacts": contacts,
    }
    logs += [
        _rows_log("orders", raw_orders, tables["orders"]["order_id"]),
        _rows_log("order_items", raw_lines, tables["order_items"]["order_id"]),
    ]
    del raw_orders, raw_lines
    clean_lines = book.clean_lines()
    order_truth = _order_truth(events, book, latent)
    clean_orders = book.clean_orders
    del book
    clean = {
        "customers": customers_clean,
        "products": products_clean,
        "orders": orders_frame(cfg, clean_orders, date_strings=False),
        "order_items": items_frame(clean_lines),
        "service_tickets": tickets.copy(),
        "campaigns": camp.table.copy(),
        "campaign_contacts": contacts.copy(),
    }
    del clean_lines
    dirt_log = pd.concat(logs, ignore_index=True).sort_values(
        ["table", "row_number"], kind="stable", ignore_index=True
    )
    truth = {
        "customers": _customer_truth(cfg, pop, latent, camp),
        "orders": order_truth,
        "uplift": _uplift_truth(camp, events, clean_orders["num"], converted),
        "dirt_log": dirt_log,
    }
    return SyntheticData(tables=tables, clean=clean, truth=truth, config=cfg)


@dataclass
class _Events:
    """All orders (latent purchases, campaign-caused, guest) in time order."""

    customer: np.ndarray  # customer index, -1 for guests
    minute: np.ndarray
    source: np.ndarray  # code into SOURCES
    origin: np.ndarray  # latent purchase row or campaign contact, -1 for guests
    nu: np.ndarray  # spend parameter of the owner (guests: own draw from the prior)
    main_channel: np.ndarray
    owner: np.ndarray  # row of the category preference (guests: the uniform row)
    guest: np.ndarray


def _order_events(cfg, pop, latent, camp, rng) -> _Events:
    n_lat, n_camp = latent.customer.size, camp.extra_contact.size
    guest_minute = dirt_mod.add_guest_orders(cfg, rng, n_lat + n_camp)
    n_guest = guest_minute.size
    customer = np.concatenate(
        [latent.customer, camp.customer[camp.extra_contact], np.full(n_guest, -1, np.int64)]
    )
    minute = np.concatenate([latent.minute, camp.extra_minute, guest_minute]).astype(np.int32)
    source = np.repeat(np.arange(3, dtype=np.int8), [n_lat, n_camp, n_guest])
    origin = np.concatenate([np.arange(n_lat), camp.extra_contact, np.full(n_guest, -1)])
    perm = np.lexsort((customer, minute))
    customer, minute, source, origin = customer[perm], minute[perm], source[perm], origin[perm]
    guest = customer < 0
    owner = np.where(guest, pop.n, customer)
    nu = np.concatenate([pop.nu, [cfg.q / cfg.gamma_spend]])[owner]
    main = np.concatenate([pop.main_channel, [0]]).astype(np.int8)[owner]
    if n_guest:
        nu[guest] = rng.gamma(cfg.q, 1.0 / cfg.gamma_spend, size=n_guest)
        main[guest] = rng.choice(len(ORDER_CHANNELS), size=n_guest, p=cfg.order_channel_shares)
    return _Events(customer, minute, source, origin, nu, main, owner, guest)


@dataclass
class _OrderBook:
    """Orders with their lines and return events, before any export."""

    num: np.ndarray
    baskets: Baskets
    returns: Returns
    clean_orders: Rows

    def line_rows(self) -> Rows:
        b = self.baskets
        m = b.order.size
        return {
            "num": self.num[b.order],
            "is_c": np.zeros(m, bool),
            "product": b.product,
            "qty": b.quantity,
            "price": b.price,
            "discount": b.discount,
            "minute": self.clean_orders["minute"][b.order],
            "line": b.line,
            "dirt": np.zeros(m, np.int8),
            "aux": np.zeros(m, np.int8),
        }

    def clean_lines(self) -> Rows:
        keep = np.flatnonzero(self.baskets.quantity > self.returns.line_qty)
        rows = take(self.line_rows(), keep)
        rows["qty"] = rows["qty"] - self.returns.line_qty[keep]
        return rows


def _order_book(cfg, ev: _Events, pop, catalogue, r_basket, r_ret) -> _OrderBook:
    n_cat = pop.category_cum.shape[1]
    cat_cum = np.vstack(
        [pop.category_cum, (np.arange(1, n_cat + 1, dtype=np.float32) / n_cat)[None, :]]
    )
    baskets = draw_baskets(cfg, r_basket, ev.nu, cat_cum, ev.owner, catalogue)
    del cat_cum
    channel = draw_order_channel(cfg, r_basket, ev.main_channel)
    returns = draw_returns(cfg, r_ret, ev.minute, ~ev.guest, baskets)
    n = ev.customer.size
    num = ORDER_BASE + np.arange(n, dtype=np.int64)
    net = baskets.quantity - returns.line_qty
    keep = net > 0
    net_value = (net * baskets.price * (1.0 - baskets.discount))[keep]
    clean_orders: Rows = {
        "num": num,
        "is_c": np.zeros(n, bool),
        "customer": ev.customer,
        "minute": ev.minute,
        "amount": line_totals(baskets.order[keep], net_value, n),
        "channel": channel,
        "status": returns.kind.astype(np.int8),
        "fmt": np.zeros(n, np.int8),
        "dirt": np.where(ev.guest, CODE["guest_order"], 0).astype(np.int8),
        "aux": np.zeros(n, np.int8),
    }
    return _OrderBook(num, baskets, returns, clean_orders)


def _raw_rows(cfg, book: _OrderBook, catalogue, rng) -> tuple[Rows, Rows]:
    """The raw export rows: gross orders, C rows for returns, then dirt; sorted as written."""
    returns, baskets = book.returns, book.baskets
    has_ret = np.flatnonzero(returns.kind != NO_RETURN)
    c_orders = take(book.clean_orders, has_ret)
    c_orders.update(
        is_c=np.ones(has_ret.size, bool),
        minute=returns.minute[has_ret],
        dirt=np.zeros(has_ret.size, np.int8),
    )
    base = dict(book.clean_orders)
    base["status"] = np.zeros(base["num"].size, np.int8)
    orders = concat(base, c_orders)
    del base, c_orders
    ret_line = np.flatnonzero(returns.line_qty > 0)
    lines = book.line_rows()
    c_lines = take(lines, ret_line)
    c_lines.update(
        is_c=np.ones(ret_line.size, bool),
        qty=-returns.line_qty[ret_line].astype(lines["qty"].dtype),
        minute=returns.minute[baskets.order[ret_line]].astype(lines["minute"].dtype),
    )
    lines = concat(lines, c_lines)
    del c_lines
    if cfg.dirty:
        n_guest = int((book.clean_orders["customer"] < 0).sum())
        orders, lines = dirt_mod.add_dirty_rows(
            cfg,
            rng,
            orders,
            lines,
            catalogue,
            book.num.size - n_guest,
            int((baskets.quantity > returns.line_qty).sum()),
        )
    orders["amount"] = _raw_amounts(orders, lines)
    if cfg.dirty:
        dirt_mod.mark_date_formats(cfg, rng, orders)
        orders = dirt_mod.duplicate(orders, rng, cfg.dirt.duplicate_orders)
        lines = dirt_mod.duplicate(lines, rng, cfg.dirt.duplicate_order_items)
    else:
        orders["dup"] = np.zeros(n_rows(orders), np.int8)
        lines["dup"] = np.zeros(n_rows(lines), np.int8)
    orders = _sort_rows(orders, ("minute", "num", "is_c", "dup"))
    lines = _sort_rows(lines, ("minute", "num", "is_c", "line", "dup"))
    return orders, lines


def _rows_log(table: str, rows: Rows, keys: pd.Series) -> pd.DataFrame:
    pos = np.flatnonzero(rows["dirt"] > 0)
    detail = dirt_mod.order_detail(
        take(rows, pos), prices=rows["price"][pos] if "price" in rows else None
    )
    return pd.DataFrame(
        {
            "kind": categorical_strings(DIRT_KINDS, rows["dirt"][pos]),
            "table": pd.Series([table] * pos.size, dtype="string"),
            "key": keys.iloc[pos].reset_index(drop=True),
            "row_number": pos.astype(np.int64),
            "detail": pd.Series(pd.array(detail, dtype="string")),
        }
    )


def _customer_truth(cfg, pop, latent, camp) -> pd.DataFrame:
    n = pop.n
    first = latent.index == 0
    first_minute = np.zeros(n, np.int64)
    first_minute[latent.customer[first]] = latent.minute[first]
    dropped = latent.dropout_minute >= 0
    n_complaints = np.bincount(latent.customer[latent.complaint], minlength=n)
    p_at_drop = np.full(n, np.nan)
    p_at_drop[latent.customer[latent.dropped]] = latent.p_effective[latent.dropped]
    return pd.DataFrame(
        {
            "customer_id": customer_ids(n),
            "lam": pop.lam,
            "p": pop.p,
            "nu": pop.nu,
            "expected_order_value": cfg.p_spend / pop.nu,
            "n_purchases": latent.n_purchases.astype(np.int64),
            "n_campaign_orders": np.bincount(camp.customer[camp.extra_contact], minlength=n),
            "first_purchase": to_timestamps(cfg, first_minute),
            "dropout_time": to_timestamps(
                cfg, np.where(dropped, latent.dropout_minute, np.nan).astype(float)
            ),
            "alive_at_end": ~dropped,
            "n_complaints": n_complaints,
            "p_at_dropout": p_at_drop,
            "acquisition_channel": categorical_strings(ACQUISITION_CHANNELS, pop.acquisition),
            "region": categorical_strings(REGIONS, pop.region),
            "age": pop.age,
            "main_channel": categorical_strings(ORDER_CHANNELS, pop.main_channel),
            "uplift": true_uplift(cfg, pop.main_channel, pop.age),
        }
    )


def _order_truth(ev: _Events, book: _OrderBook, latent) -> pd.DataFrame:
    is_lat = ev.source == 0
    idx = np.where(is_lat, ev.origin, 0)
    purchase_index = pd.array(latent.index[idx].astype(np.int64), dtype="Int64")
    purchase_index[~is_lat] = pd.NA
    b = book.baskets
    gross = line_totals(b.order, b.quantity * b.price * (1.0 - b.discount), ev.customer.size)
    return pd.DataFrame(
        {
            "order_id": id_series("", book.num),
            "customer_id": customer_id_series(ev.customer),
            "source": categorical_strings(SOURCES, ev.source),
            "purchase_index": purchase_index,
            "drawn_value": b.value,
            "gross_amount": gross,
            "complaint": is_lat & latent.complaint[idx],
            "p_effective": np.where(is_lat, latent.p_effective[idx], np.nan),
            "dropped_after": is_lat & latent.dropped[idx],
        }
    )


def _uplift_truth(camp, ev: _Events, num: np.ndarray, converted: np.ndarray) -> pd.DataFrame:
    caused_order = np.full(camp.customer.size, -1, np.int64)
    is_camp = ev.source == 1
    caused_order[ev.origin[is_camp]] = num[is_camp]
    ids = id_series("", np.maximum(caused_order, 0))
    ids[caused_order < 0] = pd.NA
    return pd.DataFrame(
        {
            "campaign_id": id_series("CMP", camp.campaign + 1, 3),
            "customer_id": id_series("CU", camp.customer + 1, 7),
            "group": categorical_strings(("control", "treatment"), camp.treatment.astype(np.int8)),
            "uplift_probability": camp.uplift,
            "caused_order": camp.fired,
            "caused_order_id": ids,
            "converted": converted,
        }
    )
