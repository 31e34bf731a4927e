"""Cleaning rules: small named functions, applied in the order of :data:`RULES`.

Every rule takes the working tables (``dict`` name -> DataFrame) and a :class:`Context` and
returns the new tables and one :class:`~crm_analysis.cleaning.log.QualityEntry` per table it
looked at. Rules never drop a row silently: removed rows are counted, and rows that need a human
(returns without their original order) move to a flagged table instead of disappearing.

The order matters and is part of the contract:

1. ``trim_ids`` strips whitespace around ids (``" CU01"`` is ``"CU01"``).
2. ``float_ids`` writes numeric ids exported as floats as whole numbers (``17850.0`` is
   ``17850``), in every table.
3. ``exact_duplicates`` removes rows exported twice (orders without ids or times of day keep
   them: they may be two purchases on one day).
4. ``date_formats`` counts timestamps written in another format than the export's own (they
   were read by the loader; this rule reports them).
5. ``key_duplicates`` keeps the first row of each key (order id, customer id, ...).
6. ``after_snapshot`` removes what happened after the snapshot day (and what hangs off it).
7. ``sparse_start`` leaves out a sparse head (a few orders next to empty months before the data
   becomes continuous).
8. ``guest_orders`` counts orders without customer id: kept for demand analysis, left out of
   customer-level tables.
9. ``non_product_lines`` removes postage, fees and manual adjustments from order lines, and the
   orders that held nothing else (bad-debt adjustments are not purchases).
10. ``invalid_prices`` removes order lines with a zero, negative or missing unit price.
11. ``orphan_items`` removes order lines whose order or product does not exist.
12. ``net_returns`` nets ``C``-prefixed cancellations and returns against their original orders;
    those without an original go to the flagged table ``unmatched_returns``.
13. ``recompute_amounts`` sets each order's amount to the sum of its remaining lines.
14. ``missing_amounts`` removes orders whose amount is still missing or not a number.
15. ``spellings`` gives categorical text one spelling (case, whitespace, typos, native names).
16. ``impossible_ages`` sets ages outside the plausible range to missing (the customer stays).
17. ``orphan_keys`` removes tickets and campaign contacts of unknown customers or campaigns.

Removing rows is lazy: a rule that only removes rows marks them in ``Context.removed`` (one row
mask per table, aligned with the working frame) instead of copying the table, and the rows are
taken out once, by :func:`compact` (``net_returns`` builds its compacted orders and order lines
directly). At a million customers every rule copying the orders and their ~20M lines would hold
two copies besides the raw tables; this way the raw frames stay the working frames until one
compacted copy replaces them. A rule therefore looks only at the rows not yet removed
(:func:`live_rows`), or calls :func:`compact` first when it wants plain frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry, examples_of
from crm_analysis.cleaning.spelling import COUNTRY_ALIASES, canonical_spellings
from crm_analysis.keys import duplicated_rows, isin, lookup
from crm_analysis.money import line_value, order_totals
from crm_analysis.schema import TABLES

Tables = dict[str, pd.DataFrame]

NON_PRODUCT_CODES: tuple[str, ...] = (
    "POST", "FEE", "ADJ", "DOT", "M", "MANUAL", "BANK CHARGES", "AMAZONFEE", "CRUK", "C2",
    "D", "S", "B", "PADS", "SHIPPING", "DISCOUNT",
)
"""Product ids of order lines that are not products: postage, fees, discounts, adjustments
(the synthetic set's codes and those of common retail invoice exports; case-insensitive)."""

VOCABULARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("channel", "status"),
    "customers": ("gender", "region", "country", "acquisition_channel"),
    "products": ("category",),
    "service_tickets": ("type", "channel", "topic"),
    "campaigns": ("channel",),
    "campaign_contacts": ("group",),
}
"""Categorical text columns whose spellings are normalised."""

LOWER_CASE_COLUMNS = {("orders", "status"), ("service_tickets", "type"),
                      ("campaign_contacts", "group")}
"""Columns whose contract values are lower-case words (``completed``, ``complaint``, ...)."""


@dataclass(frozen=True)
class CleaningOptions:
    """Settings of the cleaning rules.

    Parameters
    ----------
    non_product_codes : tuple of str
        Product ids of lines that are not products (compared case-insensitively).
    age_range : (int, int)
        Plausible customer ages in years, both ends included; others become missing.
    spelling_cutoff : float
        Similarity (0..1) above which a rare spelling counts as a typo of a frequent one.
    """

    non_product_codes: tuple[str, ...] = NON_PRODUCT_CODES
    age_range: tuple[int, int] = (14, 110)
    spelling_cutoff: float = 0.75


@dataclass
class Context:
    """What the rules share: the snapshot, the options, and the loader's record of formats."""

    snapshot_date: pd.Timestamp
    options: CleaningOptions = field(default_factory=CleaningOptions)
    date_format_codes: dict[str, pd.Series] = field(default_factory=dict)
    orders_with_lines: pd.Series | None = None
    flagged: Tables = field(default_factory=dict)
    removed: dict[str, np.ndarray] = field(default_factory=dict)
    """Per table, a boolean mask of the working frame's rows that rules removed but that are
    still in the frame (see :func:`compact`); no entry means none."""

    @property
    def snapshot_end(self) -> pd.Timestamp:
        """First instant after the snapshot day."""
        return self.snapshot_date.normalize() + pd.Timedelta(days=1)


def _key(table: str) -> str | None:
    return TABLES[table].key if table in TABLES else None


def _without(frame: pd.DataFrame, drop: pd.Series | np.ndarray) -> pd.DataFrame:
    """``frame`` minus the rows where ``drop`` is true; the frame itself (no copy of millions
    of rows) when nothing is dropped."""
    drop = np.asarray(drop, dtype=bool)
    return frame[~drop] if drop.any() else frame


def live_rows(ctx: Context, name: str, frame: pd.DataFrame) -> np.ndarray:
    """Boolean array over the rows of ``frame`` (the working ``tables[name]``): rows that no rule
    has removed yet."""
    removed = ctx.removed.get(name)
    return np.ones(len(frame), dtype=bool) if removed is None else ~removed


def _remove_rows(ctx: Context, name: str, drop: np.ndarray) -> np.ndarray:
    """Mark the rows where ``drop`` is true as removed from ``tables[name]`` (taken out later
    by :func:`compact`); returns the rows newly removed (those not removed before)."""
    drop = np.asarray(drop, dtype=bool)
    before = ctx.removed.get(name)
    newly = drop if before is None else drop & ~before
    if newly.any():
        ctx.removed[name] = newly if before is None else before | newly
    return newly


def compact(tables: Tables, ctx: Context) -> Tables:
    """The tables with the rows marked in ``ctx.removed`` taken out (one copy per table that has
    removed rows; the others are passed through); ``ctx.removed`` is emptied."""
    out = dict(tables)
    for name, removed in list(ctx.removed.items()):
        if name in out:
            out[name] = _without(out[name], removed)
        del ctx.removed[name]
    return out


def _marked_entry(rule: str, table: str, frame: pd.DataFrame, rows_in: int, *,
                  removed: np.ndarray | None = None, changed: np.ndarray | None = None,
                  keys: pd.Series | None = None, after: pd.DataFrame | None = None,
                  note: str = "") -> QualityEntry:
    """A log entry for a rule that marks rows of ``frame`` instead of copying it: ``removed``
    the rows it removed and ``changed`` the remaining rows it changed (boolean arrays over the
    rows of ``frame``); ``rows_in`` the rows not removed before. Examples as :func:`_entry`
    gives them: keys of removed rows, else of changed rows (in row order, their values in
    ``after``, the frame the rule returns with the same rows, if it changed keys)."""
    key_col = _key(table) or ("order_id" if "order_id" in frame else frame.columns[0])
    n_removed = int(np.count_nonzero(removed)) if removed is not None else 0
    if keys is None:
        if n_removed:
            keys = frame[key_col].iloc[np.flatnonzero(removed)[:20]]
        elif changed is not None and changed.any():
            keys = (frame if after is None else after)[key_col].iloc[
                np.flatnonzero(changed)[:20]]
        else:
            keys = pd.Series([], dtype="string")
    return QualityEntry(rule, table, rows_in, rows_in - n_removed,
                        int(np.count_nonzero(changed)) if changed is not None else 0,
                        examples_of(keys), note)


def _removed_labels(before: pd.Index, after: pd.Index) -> pd.Index:
    """Labels of ``before`` missing from ``after`` (rules keep subsets of non-negative integer
    row labels: a bitmap makes this linear, not a hash of every label)."""
    if (before.dtype.kind in "iu" and after.dtype.kind in "iu" and len(before)
            and before.is_unique and int(before.min()) >= 0
            and int(before.max()) < 4 * len(before)):
        present = np.zeros(int(before.max()) + 1, dtype=bool)
        inside = after.to_numpy()
        present[inside[(inside >= 0) & (inside < len(present))]] = True
        labels = before.to_numpy()
        return before[~present[labels]]
    return before.difference(after)


def _entry(rule: str, table: str, before: pd.DataFrame, after: pd.DataFrame, *,
           changed: pd.Series | None = None, keys: pd.Series | None = None,
           note: str = "") -> QualityEntry:
    """A log entry; examples are the keys of removed rows, else of changed rows."""
    key_col = _key(table) or ("order_id" if "order_id" in before else before.columns[0])
    removed = (before.index[:0] if len(after) == len(before)  # rules only ever remove rows
               else _removed_labels(before.index, after.index))
    if keys is None:
        if len(removed):
            keys = before.loc[removed[:20], key_col]
        elif changed is not None and changed.any():
            keys = after.loc[changed[changed].index[:20], key_col]
        else:
            keys = pd.Series([], dtype="string")
    return QualityEntry(rule, table, len(before), len(after),
                        int(changed.sum()) if changed is not None else 0,
                        examples_of(keys), note)


def _id_columns(table: str, frame: pd.DataFrame) -> list[str]:
    spec = TABLES.get(table)
    if spec is None:
        return []
    return [c for c, s in spec.columns.items() if s.dtype == "id" and c in frame]


def trim_ids(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Strip surrounding whitespace from ids; an id that is only whitespace becomes missing."""
    out, log = dict(tables), []
    for name, frame in tables.items():
        cols = _id_columns(name, frame)
        if not cols:
            continue
        changed = np.zeros(len(frame), dtype=bool)
        fixed = {}
        for col in cols:
            stripped = frame[col].str.strip()
            stripped = stripped.mask(stripped.eq(""))
            diff = (stripped.ne(frame[col]) | (stripped.isna() != frame[col].isna())).fillna(False)
            diff = diff.to_numpy(dtype=bool)
            if diff.any():  # only columns with something to fix are replaced
                fixed[col] = stripped
                changed |= diff
        live = live_rows(ctx, name, frame)
        out[name] = new = frame.assign(**fixed) if fixed else frame
        log.append(_marked_entry("trim_ids", name, frame, int(live.sum()),
                                 changed=changed & live, after=new,
                                 note="whitespace around ids removed"))
    return out, log


_NUMERIC_ID = r"^\d+(?:\.0+)?$"
_FLOAT_ID = r"^(\d+)\.0+$"


def float_ids(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Ids written as floats (``17850.0``) become whole numbers (``17850``) in every table.

    Only an id kind (customer ids, product ids, ...) whose values are all numbers, in every table
    that has it, is rewritten: then ``17850.0`` and ``17850`` are the same customer.
    """
    out, log = dict(tables), []
    kinds = {c for name, frame in tables.items() for c in _id_columns(name, frame)}
    for kind in sorted(kinds):
        columns = [(name, frame[kind]) for name, frame in tables.items()
                   if kind in _id_columns(name, frame)]
        values = [col.dropna() for _, col in columns]
        if not all(v.str.fullmatch(_NUMERIC_ID).all() for v in values) or not any(
                v.str.fullmatch(_FLOAT_ID).any() for v in values):
            continue
        for name, col in columns:
            fixed = col.str.replace(_FLOAT_ID, r"\1", regex=True)
            changed = fixed.ne(col).fillna(False).to_numpy(dtype=bool)
            if changed.any():
                frame = out[name]
                out[name] = new = frame.assign(**{kind: fixed})
                log.append(_marked_entry("float_ids", name, frame,
                                         int(live_rows(ctx, name, frame).sum()),
                                         changed=changed & live_rows(ctx, name, frame), after=new,
                                         note=f"{kind} written as a float: 17850.0 is 17850"))
    return out, log


def _date_only(values: pd.Series) -> bool:
    """Whether every timestamp is at midnight (the export has dates without times of day)."""
    stamps = pd.to_datetime(values).dropna()
    return bool(len(stamps)) and bool((stamps == stamps.dt.normalize()).all())


def exact_duplicates(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove rows that repeat an earlier row in every column.

    One exception: orders without order ids whose dates carry no time of day. Two identical rows
    there may well be two purchases of the same amount on one day, so they are kept (and counted
    in the log); with an order id or a time of day, a repeated row is an export error.
    """
    log = []
    for name, frame in tables.items():
        live = live_rows(ctx, name, frame)
        if live.all():
            dup = duplicated_rows(frame)
        else:
            dup = np.zeros(len(frame), dtype=bool)
            dup[np.flatnonzero(live)] = duplicated_rows(frame[live])
        if (name == "orders" and "order_id" not in frame and dup.any()
                and _date_only(frame["order_date"])):
            log.append(_marked_entry(
                "exact_duplicates", name, frame, int(live.sum()), keys=frame["customer_id"]
                .iloc[np.flatnonzero(dup)[:20]],
                note=f"{int(dup.sum()):,} identical rows kept: without order ids or times of day "
                     "they may be separate purchases on one day"))
            continue
        log.append(_marked_entry("exact_duplicates", name, frame, int(live.sum()),
                                 removed=_remove_rows(ctx, name, dup),
                                 note="rows exported twice, second copy removed"))
    return tables, log


def date_formats(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Count timestamps that were written in another format than the export's own."""
    log = []
    for key, codes in ctx.date_format_codes.items():
        table, column = key.split(".", 1)
        if table not in tables:
            continue
        frame = tables[table]
        live = live_rows(ctx, table, frame)
        other = codes.reindex(frame.index).fillna(-1).gt(0).to_numpy(dtype=bool) & live
        if other.any():
            log.append(_marked_entry("date_formats", table, frame, int(live.sum()), changed=other,
                                     note=f"{column}: values in another date format, "
                                          "read as dates"))
    return tables, log


def key_duplicates(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Keep the first row of each key; later rows with the same key are removed."""
    log = []
    for name, frame in tables.items():
        key = _key(name) or ("order_id" if name == "orders" else None)
        if key is None or key not in frame:
            continue
        live = live_rows(ctx, name, frame)
        keys = frame[[key]] if live.all() else frame.loc[live, [key]]  # one column copied
        dup = np.zeros(len(frame), dtype=bool)
        dup[np.flatnonzero(live)] = (keys[key].notna()
                                     & keys.duplicated(keep="first")).to_numpy(dtype=bool)
        log.append(_marked_entry("key_duplicates", name, frame, int(live.sum()),
                                 removed=_remove_rows(ctx, name, dup),
                                 note=f"rows repeating an earlier {key} with other values "
                                      "removed"))
    return tables, log


_EVENT_TIME = {
    "orders": "order_date",
    "service_tickets": "opened_at",
    "campaign_contacts": "sent_at",
    "campaigns": "start_date",
    "customers": "signup_date",
}
_LATER_TIMES = {"service_tickets": ("first_response_at", "resolved_at")}


def after_snapshot(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove events after the snapshot day; hide outcomes that were not known by then.

    Orders, tickets, contacts, campaigns and customers dated after the snapshot are removed
    (with the lines of removed orders); a ticket opened before but answered or resolved after it
    counts as not yet answered or resolved.
    """
    out, log = dict(tables), []
    end = ctx.snapshot_end
    late_orders = None
    for name, column in _EVENT_TIME.items():
        if name not in tables or column not in tables[name]:
            continue
        frame = tables[name]
        live = live_rows(ctx, name, frame)
        rows_in = int(live.sum())
        late = _remove_rows(ctx, name, frame[column].ge(end).fillna(False).to_numpy(dtype=bool))
        live &= ~late
        if name == "orders":
            late_orders = late
        new, changed = frame, None
        for later in _LATER_TIMES.get(name, ()):
            if later in new:
                hide = new[later].ge(end).fillna(False).to_numpy(dtype=bool) & live
                if hide.any():
                    new = new.copy()
                    new.loc[hide, later] = pd.NaT
                changed = hide if changed is None else changed | hide
        out[name] = new
        log.append(_marked_entry("after_snapshot", name, frame, rows_in, removed=late,
                                 changed=changed,
                                 note=f"{column} after {ctx.snapshot_date.date()}"))
    if "order_items" in tables and "orders" in tables:
        orders = tables["orders"]
        if "order_id" not in orders:
            gone_ids = []
        elif late_orders is None:
            gone_ids = orders["order_id"].iloc[:0]
        else:
            gone_ids = orders.loc[late_orders, "order_id"]
        items = tables["order_items"]
        live = live_rows(ctx, "order_items", items)
        drop = isin(items["order_id"], gone_ids).to_numpy(dtype=bool)
        log.append(_marked_entry("after_snapshot", "order_items", items, int(live.sum()),
                                 removed=_remove_rows(ctx, "order_items", drop),
                                 note="lines of orders after the snapshot"))
    return out, log


def guest_orders(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Count orders without a customer id (kept; customer-level analyses leave them out)."""
    orders = tables["orders"]
    live = live_rows(ctx, "orders", orders)
    guest = orders["customer_id"].isna().to_numpy(dtype=bool) & live
    return tables, [_marked_entry(
        "guest_orders", "orders", orders, int(live.sum()), changed=guest,
        keys=orders.loc[guest, "order_id"] if "order_id" in orders else None,
        note="orders without customer id: kept for demand, not per customer")]


def _item_filter(tables: Tables, ctx: Context, rule: str, drop: pd.Series, note: str
                 ) -> tuple[Tables, list[QualityEntry]]:
    items = tables["order_items"]
    rows_in = int(live_rows(ctx, "order_items", items).sum())
    removed = _remove_rows(ctx, "order_items", drop.to_numpy(dtype=bool))
    return tables, [_marked_entry(rule, "order_items", items, rows_in, removed=removed,
                                  note=note)]


def non_product_lines(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove order lines whose product id is a non-product code (postage, fees, ...)."""
    if "order_items" not in tables:
        return tables, []
    codes = {c.upper() for c in ctx.options.non_product_codes}
    items = tables["order_items"]
    drop = items["product_id"].str.upper().isin(codes).fillna(False).astype(bool)
    live = live_rows(ctx, "order_items", items)
    tables, log = _item_filter(tables, ctx, "non_product_lines", drop,
                               "postage, fees and adjustments are not product demand")
    orders = tables["orders"]
    if "order_id" not in orders or not drop.any():
        return tables, log
    products = items["order_id"][live & ~drop.to_numpy()]
    only_fees = isin(orders["order_id"], items["order_id"][live & drop.to_numpy()]) & ~isin(
        orders["order_id"], products)
    only_fees = only_fees.to_numpy(dtype=bool) & live_rows(ctx, "orders", orders)
    rows_in = int(live_rows(ctx, "orders", orders).sum())
    log.append(_marked_entry("non_product_lines", "orders", orders, rows_in,
                             removed=_remove_rows(ctx, "orders", only_fees),
                             note="orders of fees or adjustments only (e.g. bad-debt "
                                  "adjustments) are not purchases"))
    return tables, log


def invalid_prices(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove order lines with a zero, negative or missing unit price."""
    if "order_items" not in tables:
        return tables, []
    price = tables["order_items"]["unit_price"]
    drop = price.isna() | price.le(0)
    return _item_filter(tables, ctx, "invalid_prices", drop.astype(bool),
                        "unit price zero, negative or missing")


def orphan_items(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove order lines whose order (or, with a products table, product) does not exist."""
    if "order_items" not in tables or "order_id" not in tables["orders"]:
        return tables, []
    items, orders = tables["order_items"], tables["orders"]
    drop = ~isin(items["order_id"], orders.loc[live_rows(ctx, "orders", orders), "order_id"])
    if "products" in tables:
        products = tables["products"]
        known = products.loc[live_rows(ctx, "products", products), "product_id"]
        drop |= ~isin(items["product_id"], known)
    return _item_filter(tables, ctx, "orphan_items", drop.fillna(True).astype(bool),
                        "order or product not in the data")


def _is_return(orders: pd.DataFrame) -> pd.Series:
    """``C``-prefixed order ids with a negative (or, with lines, any) amount."""
    ids = orders["order_id"]
    prefixed = (ids.str.startswith("C") | ids.str.startswith("c")).fillna(False).astype(bool)
    return prefixed & orders["amount"].le(0).fillna(True).astype(bool)


def net_returns(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Net ``C``-prefixed cancellations and returns against their original orders.

    A return is an order whose id starts with ``C`` and whose amount is zero or negative (the
    convention of invoice exports: ``C536379`` cancels ``536379``). A return row ``C<id>``
    whose original ``<id>`` exists is folded into it: the original's
    lines lose the returned quantities (lines at zero are removed), its amount becomes the net
    amount, and its status ``cancelled`` (nothing left) or ``returned`` (some left). A return
    without its original goes, with its lines, to the flagged table ``unmatched_returns`` (and
    ``unmatched_return_items``): it is never silently dropped. Without an ``order_id`` column
    there is nothing to match, and without amounts nothing tells a return from an order whose
    id happens to start with ``C``: the rule then does nothing.

    The rows earlier rules removed (``ctx.removed``) are left out here: the orders and order
    lines that remain are copied once, into the compacted tables this rule returns.
    """
    orders = tables["orders"]
    if "order_id" not in orders or "amount" not in orders:
        return tables, []
    live = live_rows(ctx, "orders", orders)
    orders_in = int(live.sum())
    is_ret = _is_return(orders) & live
    # the id each return refers to; only the (few) returns are looked up: hashing their
    # originals and scanning the orders avoids a hash set of every order id
    original = pd.Series(pd.NA, index=orders.index, dtype=orders["order_id"].dtype)
    original[is_ret] = orders.loc[is_ret, "order_id"].str.slice(1)
    exists = ~is_ret & live & isin(orders["order_id"], original[is_ret])
    matched = is_ret & isin(original, orders.loc[exists, "order_id"])
    unmatched = is_ret & ~matched
    ctx.flagged["unmatched_returns"] = orders[unmatched]
    kept_rows = (~is_ret & live).to_numpy(dtype=bool)
    kept = orders[kept_rows]
    ctx.removed.pop("orders", None)
    ret_ids = orders.loc[matched, "order_id"]
    target = original[matched]
    log = []
    if "order_items" in tables:
        items = tables["order_items"]
        live_items = live_rows(ctx, "order_items", items)
        item_ret = isin(items["order_id"], ret_ids).to_numpy() & live_items
        item_unmatched = (isin(items["order_id"], orders.loc[unmatched, "order_id"]).to_numpy()
                          & live_items)
        ctx.flagged["unmatched_return_items"] = items[item_unmatched]
        returned = items[item_ret]
        returned_qty = returned.groupby([returned["order_id"].str.slice(1),
                                         returned["product_id"]], observed=True)["quantity"].sum()
        base = ~(item_ret | item_unmatched) & live_items
        # only lines of orders that have a return change: work on that (small) subset
        affected = base & isin(items["order_id"], target).to_numpy()
        sub = items.loc[affected, ["order_id", "product_id"]]
        key = pd.MultiIndex.from_frame(sub)
        quantity = items["quantity"].to_numpy(dtype="float64", copy=True)
        at = np.flatnonzero(affected)
        quantity[at] += returned_qty.reindex(key).fillna(0.0).to_numpy()
        keep = base & (quantity > 0)
        new_items = items[keep]  # a new frame: replacing one column copies nothing else
        if len(at):
            new_items["quantity"] = quantity[keep]
        ctx.removed.pop("order_items", None)
        touched = np.zeros(len(items), dtype=bool)
        touched[at] = np.asarray(key.isin(returned_qty.index))
        log.append(_marked_entry("net_returns", "order_items", items, int(live_items.sum()),
                                 removed=live_items & ~keep, changed=touched & keep,
                                 note="returned quantities netted against the original lines"))
        tables = {**tables, "order_items": new_items}
        remaining = pd.Series(np.where(keep[at], quantity[at], 0.0)).groupby(
            sub["order_id"].to_numpy()).sum()
        left = lookup(kept["order_id"], remaining, 0.0)
    else:
        returned_amount = orders.loc[matched, "amount"].groupby(target).sum()
        kept["amount"] = kept["amount"] + lookup(kept["order_id"], returned_amount, 0.0)
        left = kept["amount"]
    hit = isin(kept["order_id"], target)
    if "status" in kept or hit.any():
        status = kept["status"] if "status" in kept else pd.Series(pd.NA, index=kept.index,
                                                                   dtype="string")
        status = status.mask(hit & left.le(0), "cancelled").mask(hit & left.gt(0), "returned")
        kept["status"] = status.astype("string")
    changed = np.zeros(len(orders), dtype=bool)
    changed[np.flatnonzero(kept_rows)] = hit.to_numpy(dtype=bool)
    log.insert(0, _marked_entry("net_returns", "orders", orders, orders_in,
                                removed=is_ret.to_numpy(dtype=bool), changed=changed,
                                keys=orders.loc[unmatched | matched, "order_id"],
                                note=f"{int(matched.sum())} returns netted against their "
                                     f"orders, {int(unmatched.sum())} without an original "
                                     "flagged"))
    return {**tables, "orders": kept}, log


def recompute_amounts(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Set the amount of every order that has lines to the sum of its remaining lines.

    Each line's ``quantity x unit_price x (1 - discount)`` is rounded to cents and the lines
    are added (:mod:`crm_analysis.money`); an order whose lines
    were all removed (e.g. fully cancelled) has amount 0. Orders that never had lines keep
    their amount.
    """
    tables = compact(tables, ctx)
    orders = tables["orders"]
    if "order_items" not in tables or "order_id" not in orders or "amount" not in orders:
        return tables, []
    orders, items = tables["orders"], tables["order_items"]
    discount = items["discount"].fillna(0.0) if "discount" in items else 0.0
    totals = order_totals(items["order_id"], line_value(items["quantity"], items["unit_price"],
                                                        discount))
    with_lines = ctx.orders_with_lines if ctx.orders_with_lines is not None else items["order_id"]
    had_lines = isin(orders["order_id"], with_lines)
    new_amount = lookup(orders["order_id"], totals, 0.0).fillna(0.0).where(had_lines,
                                                                           orders["amount"])
    changed = (new_amount - orders["amount"]).abs().gt(0.005).fillna(True)
    new = orders.assign(amount=new_amount.astype("float64"))
    return {**tables, "orders": new}, [
        _entry("recompute_amounts", "orders", orders, new, changed=changed,
               note="amount = sum of the order's product lines")]


def missing_amounts(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove orders whose amount is missing or not a finite number (and no lines give one):
    what such an order was worth is unknown, so it cannot count as revenue. A log without
    amounts (visits, bookings) has nothing to check."""
    orders = tables["orders"]
    if "amount" not in orders:
        return tables, []
    amount = pd.to_numeric(orders["amount"], errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)
    live = live_rows(ctx, "orders", orders)
    bad = ~np.isfinite(amount) & live
    return tables, [_marked_entry("missing_amounts", "orders", orders, int(live.sum()),
                                  removed=_remove_rows(ctx, "orders", bad),
                                  note="amount missing or not a number")]


def sparse_start(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Leave out a sparse head: a few orders in the months before the data becomes continuous.

    The data becomes continuous in the first calendar month from which every later month (but
    the last, often cut by the export) has at least :data:`SPARSE_MONTH_SHARE` of the median
    month's orders. Orders before it are removed when they are at most
    :data:`SPARSE_HEAD_SHARE` of all orders: a handful of test or migrated orders next to empty
    months would otherwise become the start of every trend, cohort and season. A long quiet
    season (more orders than that) is kept.
    """
    orders = tables["orders"]
    live = live_rows(ctx, "orders", orders)
    month = pd.to_datetime(orders["order_date"]).dt.to_period("M")[live]
    rows_in = int(live.sum())
    entry = {"rule": "sparse_start", "table": "orders", "frame": orders, "rows_in": rows_in}
    if month.empty:
        return tables, [_marked_entry(**entry, note="no orders")]
    counts = month.value_counts().sort_index()
    full = counts.reindex(pd.period_range(counts.index.min(), counts.index.max(), freq="M"),
                          fill_value=0)
    typical = float(full.iloc[:-1].median()) if len(full) > 1 else float(full.iloc[0])
    low = (full < SPARSE_MONTH_SHARE * typical).to_numpy(dtype=bool, copy=True)
    low[-1] = False  # the last month is often cut short by the export
    start = full.index[np.flatnonzero(low)[-1] + 1] if low.any() else full.index[0]
    head = (month < start).reindex(orders.index, fill_value=False).to_numpy(dtype=bool)
    if not head.any() or head.sum() > SPARSE_HEAD_SHARE * rows_in:
        return tables, [_marked_entry(**entry, note="the data is continuous from its start")]
    return tables, [_marked_entry(
        **entry, removed=_remove_rows(ctx, "orders", head),
        note=f"orders before {start:%B %Y}, when the data becomes continuous")]


SPARSE_MONTH_SHARE = 0.05
"""A month with fewer orders than this share of the median month is sparse."""

SPARSE_HEAD_SHARE = 0.02
"""Most orders a sparse head may hold to be left out (share of all orders)."""


def spellings(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Give each categorical text value one spelling (see :mod:`crm_analysis.cleaning.spelling`)."""
    tables = compact(tables, ctx)
    out, log = dict(tables), []
    for name, columns in VOCABULARY_COLUMNS.items():
        if name not in tables:
            continue
        frame = tables[name]
        new = frame.copy(deep=False)  # copy-on-write: only the replaced columns are new
        changed = pd.Series(False, index=frame.index)
        for col in (c for c in columns if c in frame):
            aliases = COUNTRY_ALIASES if col == "country" else None
            mapping = canonical_spellings(frame[col], aliases=aliases,
                                          cutoff=ctx.options.spelling_cutoff)
            if (name, col) in LOWER_CASE_COLUMNS:
                mapping = {k: v.strip().lower() for k, v in mapping.items()}
            fixed = frame[col].map(mapping).astype("string")
            changed |= fixed.ne(frame[col]).fillna(False).astype(bool)
            new[col] = fixed
        out[name] = new
        log.append(_entry("spellings", name, frame, new, changed=changed,
                          note=f"one spelling per value of {', '.join(columns)}"))
    return out, log


def impossible_ages(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Set ages (and birth dates) outside the plausible range to missing; the customer stays."""
    tables = compact(tables, ctx)
    if "customers" not in tables:
        return tables, []
    frame = tables["customers"]
    low, high = ctx.options.age_range
    new = frame.copy(deep=False)  # copy-on-write: only the columns set below are copied
    bad = pd.Series(False, index=frame.index)
    if "age" in frame:
        wrong = (frame["age"].lt(low) | frame["age"].gt(high)).fillna(False).astype(bool)
        new.loc[wrong, "age"] = pd.NA
        bad |= wrong
    if "birth_date" in frame:
        years = (ctx.snapshot_date - frame["birth_date"]).dt.days / 365.25
        wrong = (years.lt(low) | years.gt(high)).fillna(False).astype(bool)
        new.loc[wrong, "birth_date"] = pd.NaT
        bad |= wrong
    return {**tables, "customers": new}, [
        _entry("impossible_ages", "customers", frame, new, changed=bad,
               note=f"ages outside {low}..{high} years set to missing")]


def orphan_keys(tables: Tables, ctx: Context) -> tuple[Tables, list[QualityEntry]]:
    """Remove tickets and contacts of unknown customers or campaigns; count such orders.

    Orders of customers missing from the customers table are kept (the orders table is the
    record of purchases) and counted.
    """
    tables = compact(tables, ctx)
    out, log = dict(tables), []
    if "customers" in tables:
        known = tables["customers"]["customer_id"]
        for name in ("service_tickets", "campaign_contacts"):
            if name in tables:
                frame = tables[name]
                drop = ~isin(frame["customer_id"], known)
                if name == "campaign_contacts" and "campaigns" in tables:
                    drop |= ~isin(frame["campaign_id"], tables["campaigns"]["campaign_id"])
                new = _without(frame, drop.fillna(True).astype(bool))
                out[name] = new
                log.append(_entry("orphan_keys", name, frame, new,
                                  note="customer or campaign not in the data"))
        orders = tables["orders"]
        unknown = orders["customer_id"].notna() & ~isin(orders["customer_id"], known)
        log.append(_entry("orphan_keys", "orders", orders, orders, changed=unknown,
                          note="orders of customers missing from the customers table (kept)"))
    return out, log


Rule = Callable[[Tables, Context], tuple[Tables, list[QualityEntry]]]

RULES: tuple[Rule, ...] = (
    trim_ids,
    float_ids,
    exact_duplicates,
    date_formats,
    key_duplicates,
    after_snapshot,
    sparse_start,
    guest_orders,
    non_product_lines,
    invalid_prices,
    orphan_items,
    net_returns,
    recompute_amounts,
    missing_amounts,
    spellings,
    impossible_ages,
    orphan_keys,
)
"""The rules in the order they are applied."""
