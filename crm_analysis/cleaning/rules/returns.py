"""The rule that nets ``C``-prefixed cancellations and returns against their original orders
and flags those without an original.

It takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state (with
compacted orders and order lines, and the flagged returns) and its log entries; the state it is
given is left unchanged. Quantities are in the export's units, amounts in its currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import marked_entry
from crm_analysis.cleaning.state import WorkingState
from crm_analysis.keys import isin, lookup


def _is_return(orders: pd.DataFrame) -> pd.Series:
    """``C``-prefixed order ids with a negative (or, with lines, any) amount."""
    ids = orders["order_id"]
    prefixed = (ids.str.startswith("C") | ids.str.startswith("c")).fillna(False).astype(bool)
    return prefixed & orders["amount"].le(0).fillna(True).astype(bool)


def net_returns(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
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

    The rows earlier rules removed (``state.removed``) are left out here: the orders and order
    lines that remain are copied once, into the compacted tables of the state this rule returns.
    """
    tables = state.tables
    orders = tables["orders"]
    if "order_id" not in orders or "amount" not in orders:
        return state, []
    live = state.live_rows("orders")
    orders_in = int(live.sum())
    is_ret = _is_return(orders) & live
    # the id each return refers to; only the (few) returns are looked up: hashing their
    # originals and scanning the orders avoids a hash set of every order id
    original = pd.Series(pd.NA, index=orders.index, dtype=orders["order_id"].dtype)
    original[is_ret] = orders.loc[is_ret, "order_id"].str.slice(1)
    exists = ~is_ret & live & isin(orders["order_id"], original[is_ret])
    matched = is_ret & isin(original, orders.loc[exists, "order_id"])
    unmatched = is_ret & ~matched
    flagged = {"unmatched_returns": orders[unmatched]}
    kept_rows = (~is_ret & live).to_numpy(dtype=bool)
    kept = orders[kept_rows]
    compacted: dict[str, pd.DataFrame] = {}
    ret_ids = orders.loc[matched, "order_id"]
    target = original[matched]
    log = []
    if "order_items" in tables:
        items = tables["order_items"]
        live_items = state.live_rows("order_items")
        item_ret = isin(items["order_id"], ret_ids).to_numpy() & live_items
        item_unmatched = (isin(items["order_id"], orders.loc[unmatched, "order_id"]).to_numpy()
                          & live_items)
        flagged["unmatched_return_items"] = items[item_unmatched]
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
        touched = np.zeros(len(items), dtype=bool)
        touched[at] = np.asarray(key.isin(returned_qty.index))
        log.append(marked_entry("net_returns", "order_items", items, int(live_items.sum()),
                                removed=live_items & ~keep, changed=touched & keep,
                                note="returned quantities netted against the original lines"))
        compacted["order_items"] = new_items
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
    log.insert(0, marked_entry("net_returns", "orders", orders, orders_in,
                               removed=is_ret.to_numpy(dtype=bool), changed=changed,
                               keys=orders.loc[unmatched | matched, "order_id"],
                               note=f"{int(matched.sum())} returns netted against their "
                                    f"orders, {int(unmatched.sum())} without an original "
                                    "flagged"))
    compacted = {"orders": kept, **compacted}
    return state.with_compacted(compacted).with_flagged(flagged), log
