"""Rules for order lines that are not product demand: non-product codes (and the orders that
held nothing else), invalid unit prices, lines of orders or products that do not exist.

Each rule takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state
and its log entries; the state it is given is left unchanged. Lines are only marked as removed
(see :mod:`crm_analysis.cleaning.state`).
"""

from __future__ import annotations

import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import marked_entry
from crm_analysis.cleaning.state import WorkingState
from crm_analysis.keys import isin


def _remove_lines(state: WorkingState, rule: str, drop: pd.Series, note: str
                  ) -> tuple[WorkingState, list[QualityEntry]]:
    """The state with the order lines where ``drop`` (boolean, one per line) is true removed,
    and the rule's log entry for them."""
    items = state.tables["order_items"]
    rows_in = int(state.live_rows("order_items").sum())
    state, removed = state.remove_rows("order_items", drop.to_numpy(dtype=bool))
    return state, [marked_entry(rule, "order_items", items, rows_in, removed=removed, note=note)]


def non_product_lines(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove order lines whose product id is a non-product code (postage, fees, ...), and the
    orders that held only such lines (e.g. bad-debt adjustments are not purchases)."""
    if "order_items" not in state.tables:
        return state, []
    codes = {c.upper() for c in state.options.non_product_codes}
    items = state.tables["order_items"]
    drop = items["product_id"].str.upper().isin(codes).fillna(False).astype(bool)
    live = state.live_rows("order_items")
    state, log = _remove_lines(state, "non_product_lines", drop,
                               "postage, fees and adjustments are not product demand")
    orders = state.tables["orders"]
    if "order_id" not in orders or not drop.any():
        return state, log
    products = items["order_id"][live & ~drop.to_numpy()]
    only_fees = isin(orders["order_id"], items["order_id"][live & drop.to_numpy()]) & ~isin(
        orders["order_id"], products)
    live_orders = state.live_rows("orders")
    only_fees = only_fees.to_numpy(dtype=bool) & live_orders
    state, removed = state.remove_rows("orders", only_fees)
    log.append(marked_entry("non_product_lines", "orders", orders, int(live_orders.sum()),
                            removed=removed,
                            note="orders of fees or adjustments only (e.g. bad-debt "
                                 "adjustments) are not purchases"))
    return state, log


def invalid_prices(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove order lines with a zero, negative or missing unit price."""
    if "order_items" not in state.tables:
        return state, []
    price = state.tables["order_items"]["unit_price"]
    drop = price.isna() | price.le(0)
    return _remove_lines(state, "invalid_prices", drop.astype(bool),
                         "unit price zero, negative or missing")


def orphan_items(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove order lines whose order (or, with a products table, product) does not exist."""
    tables = state.tables
    if "order_items" not in tables or "order_id" not in tables["orders"]:
        return state, []
    items, orders = tables["order_items"], tables["orders"]
    drop = ~isin(items["order_id"], orders.loc[state.live_rows("orders"), "order_id"])
    if "products" in tables:
        products = tables["products"]
        known = products.loc[state.live_rows("products"), "product_id"]
        drop |= ~isin(items["product_id"], known)
    return _remove_lines(state, "orphan_items", drop.fillna(True).astype(bool),
                         "order or product not in the data")
