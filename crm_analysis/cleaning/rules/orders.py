"""Rules for the orders table: orders without a customer, each order's amount from its lines,
orders whose amount is unknown.

Each rule takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state
and its log entries; the state it is given is left unchanged. Amounts are in the export's
currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import frame_entry, marked_entry
from crm_analysis.cleaning.state import WorkingState
from crm_analysis.keys import isin, lookup
from crm_analysis.money import line_value, order_totals


def guest_orders(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Count orders without a customer id (kept; customer-level analyses leave them out)."""
    orders = state.tables["orders"]
    live = state.live_rows("orders")
    guest = orders["customer_id"].isna().to_numpy(dtype=bool) & live
    return state, [marked_entry(
        "guest_orders", "orders", orders, int(live.sum()), changed=guest,
        keys=orders.loc[guest, "order_id"] if "order_id" in orders else None,
        note="orders without customer id: kept for demand, not per customer")]


def recompute_amounts(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Set the amount of every order that has lines to the sum of its remaining lines.

    Each line's ``quantity x unit_price x (1 - discount)`` is rounded to cents and the lines
    are added (:mod:`crm_analysis.money`); an order whose lines
    were all removed (e.g. fully cancelled) has amount 0. Orders that never had lines keep
    their amount.
    """
    state = state.compact()
    tables = state.tables
    orders = tables["orders"]
    if "order_items" not in tables or "order_id" not in orders or "amount" not in orders:
        return state, []
    items = tables["order_items"]
    discount = items["discount"].fillna(0.0) if "discount" in items else 0.0
    totals = order_totals(items["order_id"], line_value(items["quantity"], items["unit_price"],
                                                        discount))
    with_lines = (state.orders_with_lines if state.orders_with_lines is not None
                  else items["order_id"])
    had_lines = isin(orders["order_id"], with_lines)
    new_amount = lookup(orders["order_id"], totals, 0.0).fillna(0.0).where(had_lines,
                                                                           orders["amount"])
    changed = (new_amount - orders["amount"]).abs().gt(0.005).fillna(True)
    new = orders.assign(amount=new_amount.astype("float64"))
    return state.with_tables({"orders": new}), [
        frame_entry("recompute_amounts", "orders", orders, new, changed=changed,
                    note="amount = sum of the order's product lines")]


def missing_amounts(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove orders whose amount is missing or not a finite number (and no lines give one):
    what such an order was worth is unknown, so it cannot count as revenue. A log without
    amounts (visits, bookings) has nothing to check."""
    orders = state.tables["orders"]
    if "amount" not in orders:
        return state, []
    amount = pd.to_numeric(orders["amount"], errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)
    live = state.live_rows("orders")
    bad = ~np.isfinite(amount) & live
    state, removed = state.remove_rows("orders", bad)
    return state, [marked_entry("missing_amounts", "orders", orders, int(live.sum()),
                                removed=removed, note="amount missing or not a number")]
