"""Dirt: what a real export gets wrong, injected at known rates and logged row by row.

Additive dirt (extra rows) keeps the clean truth undisturbed: guest orders, cancellations
without an original, lines with a zero or negative price, non-product lines (POST, FEE, ADJ),
orders dated after the export date, order lines whose order or product does not exist, exact
duplicate rows. Value dirt changes a copy of a clean value: category and country spellings,
impossible ages (0 and 150), non-ISO ``order_date`` strings. Rates and their bases are in
:class:`~crm_analysis.synthetic.config.DirtRates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_analysis.synthetic.config import CATEGORIES, COUNTRIES, NON_PRODUCT_IDS, SyntheticConfig
from crm_analysis.synthetic.ids import string_series
from crm_analysis.synthetic.products import Catalogue
from crm_analysis.synthetic.rows import (
    ORPHAN_CANCEL_BASE,
    ORPHAN_ORDER_BASE,
    ORPHAN_PRODUCT_BASE,
    Rows,
    concat,
    n_rows,
    take,
)
from crm_analysis.synthetic.timegrid import ALT_FORMATS, MINUTES_PER_DAY, draw_minute_of_day

DIRT_KINDS: tuple[str, ...] = (
    "",
    "duplicate",
    "guest_order",
    "orphan_cancellation",
    "bad_price",
    "non_product_line",
    "orphan_item",
    "future_order",
    "mixed_date_format",
    "category_spelling",
    "country_spelling",
    "impossible_age",
)
"""Dirt kinds as they appear in the dirt log (code = position; 0 = clean row)."""
CODE = {k: i for i, k in enumerate(DIRT_KINDS)}
ORDER_BASE_GAP = 999_000
"""Orphan cancellation numbers are drawn from 4000001..4999000 (all before the first id)."""

CATEGORY_TYPOS = {
    "Electronics": "Electroncs",
    "Home & Kitchen": "Home and Kitchen",
    "Fashion": "Fashon",
    "Beauty": "Beuty",
    "Sports": "Sport",
    "Toys": "Toyz",
    "Books": "Bokks",
    "Garden": "Gardn",
}
COUNTRY_NATIVE = {
    "Germany": "Deutschland",
    "Austria": "Österreich",
    "Switzerland": "Schweiz",
    "Netherlands": "Nederland",
}
COUNTRY_TYPOS = {
    "Germany": "Germny",
    "Austria": "Austira",
    "Switzerland": "Switzerlnd",
    "Netherlands": "Netherland",
}


def spelling_variants(canonical: str, typo: str, native: str | None = None) -> list[str]:
    """The dirty spellings of one value: ``'x '`` (lower + trailing space), ``'X'`` (upper),
    ``'  Xx'`` (leading spaces), the typo, and the native name if given."""
    out = [canonical.lower() + " ", canonical.upper(), "  " + canonical, typo]
    if native:
        out.append(native)
    return out


CATEGORY_VARIANTS = {c: spelling_variants(c, CATEGORY_TYPOS[c]) for c in CATEGORIES}
COUNTRY_VARIANTS = {c: spelling_variants(c, COUNTRY_TYPOS[c], COUNTRY_NATIVE[c]) for c in COUNTRIES}
"""Every dirty spelling, keyed by the canonical value (a cleaning mapping can list them)."""


def _respell(
    rng: np.random.Generator, values: pd.Series, variants: dict[str, list[str]], rate: float
) -> tuple[pd.Series, np.ndarray]:
    """Replace a ``rate`` share of values by a random variant; returns (values, positions)."""
    hit = np.flatnonzero(rng.random(len(values)) < rate)
    out = values.copy()
    if hit.size:
        orig = values.to_numpy(dtype=object)[hit]
        pick = rng.random(hit.size)
        new = [variants[v][int(u * len(variants[v]))] for v, u in zip(orig, pick, strict=True)]
        out.iloc[hit] = new
    return out, hit


def _log(kind: str, table: str, key: pd.Series, rows: np.ndarray, detail) -> pd.DataFrame:
    n = len(rows)
    det = detail if not isinstance(detail, str) else pd.Series([detail] * n, dtype="string")
    return pd.DataFrame(
        {
            "kind": pd.Series([kind] * n, dtype="string"),
            "table": pd.Series([table] * n, dtype="string"),
            "key": string_series(np.asarray(key, dtype=object))
            if n
            else pd.Series([], dtype="string"),
            "row_number": rows.astype(np.int64),
            "detail": string_series(np.asarray(det, dtype=object))
            if n
            else pd.Series([], dtype="string"),
        }
    )


def dirty_customers(
    cfg: SyntheticConfig, rng: np.random.Generator, clean: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(raw customers, clean customers, log): misspelt countries, impossible ages.

    In the clean table impossible ages become missing; spellings are canonical.
    """
    raw = clean.copy()
    country, hit_c = _respell(rng, clean["country"], COUNTRY_VARIANTS, cfg.dirt.country_spelling)
    raw["country"] = country
    hit_a = np.flatnonzero(rng.random(len(raw)) < cfg.dirt.impossible_ages)
    bad_age = np.where(rng.random(hit_a.size) < 0.5, 0, 150)
    age = raw["age"].copy()
    age.iloc[hit_a] = bad_age
    raw["age"] = age
    clean = clean.copy()
    clean_age = clean["age"].copy()
    clean_age.iloc[hit_a] = pd.NA
    clean["age"] = clean_age
    ids = raw["customer_id"].to_numpy(dtype=object)
    log = pd.concat(
        [
            _log(
                "country_spelling",
                "customers",
                ids[hit_c],
                hit_c,
                [
                    f"{v!r} for {c!r}"
                    for v, c in zip(
                        raw["country"].iloc[hit_c], clean["country"].iloc[hit_c], strict=True
                    )
                ],
            ),
            _log("impossible_age", "customers", ids[hit_a], hit_a, [f"age {a}" for a in bad_age]),
        ],
        ignore_index=True,
    )
    return raw, clean, log


def dirty_products(
    cfg: SyntheticConfig, rng: np.random.Generator, clean: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(raw products, log): misspelt categories."""
    raw = clean.copy()
    cats, hit = _respell(rng, clean["category"], CATEGORY_VARIANTS, cfg.dirt.category_spelling)
    raw["category"] = cats
    detail = [
        f"{v!r} for {c!r}"
        for v, c in zip(raw["category"].iloc[hit], clean["category"].iloc[hit], strict=True)
    ]
    ids = raw["product_id"].to_numpy(dtype=object)
    return raw, _log("category_spelling", "products", ids[hit], hit, detail)


def _lines_for(
    rng: np.random.Generator,
    num: np.ndarray,
    is_c: np.ndarray,
    minute: np.ndarray,
    catalogue: Catalogue,
    sign: float,
    dirt: int,
) -> Rows:
    """One real-product line per given order (quantity 1..3, times ``sign``)."""
    m = num.size
    product = rng.integers(0, catalogue.n, size=m)
    return {
        "num": num,
        "is_c": is_c,
        "product": product.astype(np.int64),
        "qty": sign * rng.integers(1, 4, size=m).astype(float),
        "price": catalogue.price[product],
        "discount": np.zeros(m),
        "minute": minute,
        "line": np.full(m, 50, dtype=np.int64),
        "dirt": np.full(m, dirt, dtype=np.int8),
        "aux": np.zeros(m, dtype=np.int8),
    }


def add_dirty_rows(
    cfg: SyntheticConfig,
    rng: np.random.Generator,
    orders: Rows,
    items: Rows,
    catalogue: Catalogue,
    n_clean_orders: int,
    n_clean_lines: int,
) -> tuple[Rows, Rows]:
    """Append the additive dirt rows to the raw order and line row sets (no duplicates yet)."""
    d = cfg.dirt
    end_minute = cfg.n_days * MINUTES_PER_DAY
    max_num = int(orders["num"].max(initial=0))
    base = np.flatnonzero(~orders["is_c"] & (orders["dirt"] == 0))

    def order_rows(num, is_c, customer, minute, status, dirt) -> Rows:
        m = num.size
        return {
            "num": num,
            "is_c": is_c,
            "customer": customer,
            "minute": minute,
            "amount": np.zeros(m),
            "channel": rng.integers(0, 4, size=m).astype(np.int8),
            "status": np.full(m, status, dtype=np.int8),
            "fmt": np.zeros(m, dtype=np.int8),
            "dirt": np.full(m, dirt, dtype=np.int8),
            "aux": np.zeros(m, dtype=np.int8),
        }

    new_orders, new_items = [], []
    # cancellations whose original is not in the data (placed before the period)
    k = rng.binomial(n_clean_orders, d.orphan_cancellations)
    num = ORPHAN_CANCEL_BASE + rng.choice(ORDER_BASE_GAP, size=k, replace=False)
    minute = rng.integers(0, min(30, cfg.n_days) * MINUTES_PER_DAY, size=k)
    cust = rng.integers(0, cfg.n_customers, size=k)
    new_orders.append(
        order_rows(num, np.ones(k, bool), cust, minute, 1, CODE["orphan_cancellation"])
    )
    new_items.append(
        _lines_for(rng, num, np.ones(k, bool), minute, catalogue, -1.0, CODE["orphan_cancellation"])
    )
    # orders dated after the export date (1..400 days later), real customers
    k = rng.binomial(n_clean_orders, d.future_orders)
    num = max_num + 1 + np.arange(k)
    minute = end_minute + rng.integers(0, 400 * MINUTES_PER_DAY, size=k)
    cust = rng.integers(0, cfg.n_customers, size=k)
    new_orders.append(order_rows(num, np.zeros(k, bool), cust, minute, 0, CODE["future_order"]))
    new_items.append(
        _lines_for(rng, num, np.zeros(k, bool), minute, catalogue, 1.0, CODE["future_order"])
    )
    # lines with a zero or negative unit price, on existing orders
    k = rng.binomial(n_clean_lines, d.bad_prices)
    host = rng.choice(base, size=k)
    lines = _lines_for(
        rng,
        orders["num"][host],
        np.zeros(k, bool),
        orders["minute"][host],
        catalogue,
        1.0,
        CODE["bad_price"],
    )
    lines["price"] = np.where(rng.random(k) < 0.5, 0.0, -lines["price"])
    lines["line"][:] = 51
    new_items.append(lines)
    # non-product lines: postage, fee, manual adjustment
    host = base[rng.random(base.size) < d.non_product_lines]
    k = host.size
    which = rng.integers(0, len(NON_PRODUCT_IDS), size=k)
    price = np.choose(
        which, [np.full(k, 4.95), np.full(k, 1.5), np.round(rng.uniform(-5, 5, k), 2)]
    )
    new_items.append(
        {
            "num": orders["num"][host],
            "is_c": np.zeros(k, bool),
            "product": -(which.astype(np.int64) + 1),
            "qty": np.ones(k),
            "price": price,
            "discount": np.zeros(k),
            "minute": orders["minute"][host],
            "line": np.full(k, 52, dtype=np.int64),
            "dirt": np.full(k, CODE["non_product_line"], dtype=np.int8),
            "aux": which.astype(np.int8),
        }
    )
    # orphan lines: half with an order that does not exist, half with an unknown product
    k = rng.binomial(n_clean_lines, d.orphan_items)
    no_order = rng.random(k) < 0.5
    host = rng.choice(base, size=k)
    lines = _lines_for(
        rng,
        orders["num"][host],
        np.zeros(k, bool),
        orders["minute"][host],
        catalogue,
        1.0,
        CODE["orphan_item"],
    )
    lines["num"] = np.where(no_order, ORPHAN_ORDER_BASE + np.arange(k), lines["num"])
    lines["minute"] = np.where(no_order, rng.integers(0, end_minute, size=k), lines["minute"])
    lines["product"] = np.where(
        no_order, lines["product"], ORPHAN_PRODUCT_BASE + rng.integers(0, 9000, size=k)
    )
    lines["aux"] = (~no_order).astype(np.int8)
    lines["line"][:] = 53
    new_items.append(lines)
    return concat(orders, *new_orders), concat(items, *new_items)


def add_guest_orders(
    cfg: SyntheticConfig, rng: np.random.Generator, n_customer_orders: int
) -> np.ndarray:
    """Times (minutes) of extra guest orders, uniform over the period."""
    k = rng.binomial(n_customer_orders, cfg.dirt.guest_orders) if cfg.dirty else 0
    return rng.integers(0, cfg.n_days, size=k) * MINUTES_PER_DAY + draw_minute_of_day(rng, k)


def mark_date_formats(cfg: SyntheticConfig, rng: np.random.Generator, orders: Rows) -> None:
    """Give a ``mixed_date_formats`` share of clean-dated order rows a non-ISO format (in place).

    Only rows without other dirt are eligible, so each row carries one kind of dirt.
    """
    free = np.flatnonzero(orders["dirt"] == 0)
    hit = free[rng.random(free.size) < cfg.dirt.mixed_date_formats]
    orders["fmt"][hit] = rng.integers(1, len(ALT_FORMATS) + 1, size=hit.size)
    orders["dirt"][hit] = CODE["mixed_date_format"]


def duplicate(rows: Rows, rng: np.random.Generator, rate: float) -> Rows:
    """Append exact copies of a ``rate`` share of the rows, marked as duplicate dirt.

    The copy keeps every value (so it sorts right after its original); only the bookkeeping
    columns ``dirt`` and ``dup`` differ.
    """
    n = n_rows(rows)
    rows["dup"] = np.zeros(n, dtype=np.int8)
    hit = np.flatnonzero(rng.random(n) < rate)
    copy = take(rows, hit)
    copy["dirt"] = np.full(hit.size, CODE["duplicate"], dtype=np.int8)
    copy["dup"] = np.ones(hit.size, dtype=np.int8)
    copy["aux"] = rows["dirt"][hit]
    return concat(rows, copy)


def order_detail(rows: Rows, prices: np.ndarray | None = None) -> np.ndarray:
    """Detail text per dirty row (object array)."""
    dirt = rows["dirt"]
    aux = rows["aux"]
    out = np.empty(dirt.size, dtype=object)
    text = {
        CODE["duplicate"]: "exact copy of the row above",
        CODE["guest_order"]: "customer_id empty",
        CODE["orphan_cancellation"]: "original order not in the data",
        CODE["future_order"]: "order_date after the export date",
    }
    for code, t in text.items():
        out[dirt == code] = t
    fmt = dirt == CODE["mixed_date_format"]
    if fmt.any():
        out[fmt] = np.asarray(ALT_FORMATS, dtype=object)[np.maximum(rows["fmt"][fmt] - 1, 0)]
    npl = dirt == CODE["non_product_line"]
    out[npl] = np.asarray([f"{p} line" for p in NON_PRODUCT_IDS], dtype=object)[aux[npl]]
    orph = dirt == CODE["orphan_item"]
    out[orph] = np.asarray(["order does not exist", "product does not exist"], dtype=object)[
        aux[orph]
    ]
    bad = dirt == CODE["bad_price"]
    if bad.any() and prices is not None:
        out[bad] = np.asarray(
            pc.binary_join_element_wise(
                "unit_price ", pc.cast(pa.array(prices[bad]), pa.string()), ""
            ).to_pylist(),
            dtype=object,
        )
    return out
