"""Rules for the time window analysed: nothing after the snapshot day, no sparse head before
the data becomes continuous.

Each rule takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state
and its log entries; the state it is given is left unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import marked_entry
from crm_analysis.cleaning.state import WorkingState
from crm_analysis.keys import isin

_EVENT_TIME = {
    "orders": "order_date",
    "service_tickets": "opened_at",
    "campaign_contacts": "sent_at",
    "campaigns": "start_date",
    "customers": "signup_date",
}
"""Per table, the timestamp that dates a row (rows after the snapshot day are removed)."""

_LATER_TIMES = {"service_tickets": ("first_response_at", "resolved_at")}
"""Per table, outcomes that were not known yet if they fall after the snapshot day."""


def after_snapshot(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove events after the snapshot day; hide outcomes that were not known by then.

    Orders, tickets, contacts, campaigns and customers dated after the snapshot are removed
    (with the lines of removed orders); a ticket opened before but answered or resolved after it
    counts as not yet answered or resolved.
    """
    tables = state.tables
    out, log = dict(tables), []
    end = state.snapshot_end
    late_orders = None
    for name, column in _EVENT_TIME.items():
        if name not in tables or column not in tables[name]:
            continue
        frame = tables[name]
        live = state.live_rows(name)
        rows_in = int(live.sum())
        state, late = state.remove_rows(
            name, frame[column].ge(end).fillna(False).to_numpy(dtype=bool))
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
        log.append(marked_entry("after_snapshot", name, frame, rows_in, removed=late,
                                changed=changed,
                                note=f"{column} after {state.as_of.date()}"))
    if "order_items" in tables and "orders" in tables:
        orders = tables["orders"]
        if "order_id" not in orders:
            gone_ids = []
        elif late_orders is None:
            gone_ids = orders["order_id"].iloc[:0]
        else:
            gone_ids = orders.loc[late_orders, "order_id"]
        items = tables["order_items"]
        live = state.live_rows("order_items")
        drop = isin(items["order_id"], gone_ids).to_numpy(dtype=bool)
        state, removed = state.remove_rows("order_items", drop)
        log.append(marked_entry("after_snapshot", "order_items", items, int(live.sum()),
                                removed=removed, note="lines of orders after the snapshot"))
    return state.with_tables(out), log


SPARSE_MONTH_SHARE = 0.05
"""A month with fewer orders than this share of the median month is sparse."""

SPARSE_HEAD_SHARE = 0.02
"""Most orders a sparse head may hold to be left out (share of all orders)."""


def sparse_start(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Leave out a sparse head: a few orders in the months before the data becomes continuous.

    The data becomes continuous in the first calendar month from which every later month (but
    the last, often cut by the export) has at least :data:`SPARSE_MONTH_SHARE` of the median
    month's orders. Orders before it are removed when they are at most
    :data:`SPARSE_HEAD_SHARE` of all orders: a handful of test or migrated orders next to empty
    months would otherwise become the start of every trend, cohort and season. A long quiet
    season (more orders than that) is kept.
    """
    orders = state.tables["orders"]
    live = state.live_rows("orders")
    month = pd.to_datetime(orders["order_date"]).dt.to_period("M")[live]
    rows_in = int(live.sum())
    entry = {"rule": "sparse_start", "table": "orders", "frame": orders, "rows_in": rows_in}
    if month.empty:
        return state, [marked_entry(**entry, note="no orders")]
    counts = month.value_counts().sort_index()
    full = counts.reindex(pd.period_range(counts.index.min(), counts.index.max(), freq="M"),
                          fill_value=0)
    typical = float(full.iloc[:-1].median()) if len(full) > 1 else float(full.iloc[0])
    low = (full < SPARSE_MONTH_SHARE * typical).to_numpy(dtype=bool, copy=True)
    low[-1] = False  # the last month is often cut short by the export
    start = full.index[np.flatnonzero(low)[-1] + 1] if low.any() else full.index[0]
    head = (month < start).reindex(orders.index, fill_value=False).to_numpy(dtype=bool)
    if not head.any() or head.sum() > SPARSE_HEAD_SHARE * rows_in:
        return state, [marked_entry(**entry, note="the data is continuous from its start")]
    state, removed = state.remove_rows("orders", head)
    return state, [marked_entry(
        **entry, removed=removed,
        note=f"orders before {start:%B %Y}, when the data becomes continuous")]
