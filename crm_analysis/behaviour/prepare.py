"""The tables of the behaviour report, cut at the snapshot, and the sections they allow.

Analysis functions take the frames returned here: customer orders without guests and without
anything after the snapshot day, tickets opened by then, contacts sent by then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.columns import CONTRACT_NAMES, require_columns
from crm_analysis.engines import EngineConfig, as_engine, source_has_rows

__all__ = ["SECTIONS", "TABLES", "BehaviourData", "prepare", "to_day_end"]

TABLES: tuple[str, ...] = ("orders", "order_items", "customers", "service_tickets",
                           "campaigns", "campaign_contacts")
"""Processed tables the behaviour report reads (only orders is required)."""

SECTIONS: dict[str, tuple[str, ...]] = {
    "Discount use": ("order_items",),
    "Order channels": ("orders.channel",),
    "Return rates": ("orders.status",),
    "Customer service": ("service_tickets",),
    "Campaigns and A/B tests": ("campaign_contacts",),
}
"""Sections that need more than order dates and amounts, and what they need."""


def to_day_end(as_of: object) -> pd.Timestamp:
    """The last instant of the day ``as_of`` (everything on that day counts)."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")


@dataclass
class BehaviourData:
    """The tables of the report at the snapshot.

    Attributes
    ----------
    as_of : Timestamp
        Snapshot day (midnight); data up to the end of that day is used.
    orders : DataFrame
        Orders of known customers up to the snapshot, cancelled ones included (``status``).
    purchases : DataFrame
        ``orders`` without cancellations: what counts as buying.
    all_orders : DataFrame
        Every order up to the snapshot, guest orders included (channel and timing profiles).
    tables : dict
        The optional tables present, cut at the snapshot; ``order_items`` may be a Parquet/CSV
        path that the engine scans (see :func:`crm_analysis.behaviour.discount_use`).
    skipped : dict
        Section title -> reason it is skipped.
    engine : EngineConfig
        The engine of the report's scans (the purchases by day, the order lines).
    """

    as_of: pd.Timestamp
    orders: pd.DataFrame
    purchases: pd.DataFrame
    all_orders: pd.DataFrame
    tables: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    engine: EngineConfig = field(default_factory=EngineConfig)

    def has(self, name: str) -> bool:
        """Whether optional table ``name`` is present with at least one row."""
        return name in self.tables and source_has_rows(self.tables[name])


def prepare(tables: Mapping[str, Any], as_of: object = None, *,
            engine: EngineConfig | str | None = None) -> BehaviourData:
    """Cut the tables at ``as_of`` and note the sections that cannot run.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Processed tables by name; ``orders`` is required. ``order_items`` may instead be a
        Parquet/CSV path for the DuckDB or Spark engine (:func:`crm_analysis.io.scan_table`).
        Tables without rows count as absent.
    as_of : date-like, optional
        Snapshot day; default the last order day.
    engine : EngineConfig or str, optional
        The engine of the report's scans (default pandas); kept on the result.

    Returns
    -------
    BehaviourData
    """
    if "orders" not in tables:
        raise ValueError("the behaviour report needs the orders table")
    orders = tables["orders"]
    require_columns(orders.columns, ["customer_id", "order_date"], table="orders",
                    hint=CONTRACT_NAMES)  # amount: optional
    as_of = (pd.Timestamp(orders["order_date"].max()) if as_of is None
             else pd.Timestamp(as_of)).normalize()
    end = to_day_end(as_of)
    all_orders = orders[orders["order_date"] <= end]
    known = all_orders[all_orders["customer_id"].notna()]
    # factorise the ids once: every later step reads the categorical's integer codes
    known = known.assign(customer_id=pd.Categorical(known["customer_id"]))
    if "status" in known.columns:
        cancelled = known["status"].eq("cancelled").fillna(False).to_numpy(bool)
        purchases = known[~cancelled]
    else:
        purchases = known
    cut = {"service_tickets": "opened_at", "campaign_contacts": "sent_at",
           "campaigns": "start_date"}
    present: dict[str, Any] = {}
    for name in TABLES[1:]:
        frame = tables.get(name)
        if not source_has_rows(frame):
            continue
        col = cut.get(name)
        present[name] = frame[frame[col] <= end] if col else frame
    skipped = {}
    for section, needs in SECTIONS.items():
        for need in needs:
            table, _, column = need.partition(".")
            if table == "orders":
                ok = column in orders.columns and orders[column].notna().any()
            else:
                ok = table in present and source_has_rows(present[table])
            if not ok:
                what = (f"the {column.replace('_', ' ')} column of orders" if table == "orders"
                        else f"the {table.replace('_', ' ')} table")
                skipped[section] = f"skipped: {what} is not in the data"
    return BehaviourData(as_of=as_of, orders=known, purchases=purchases,
                         all_orders=all_orders, tables=present, skipped=skipped,
                         engine=as_engine(engine))


def customer_codes(frame: pd.DataFrame, column: str = "customer_id") -> tuple[np.ndarray, pd.Index]:
    """Integer codes of customer ids (sorted) and the ids by code."""
    col = frame[column]
    if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.categories.is_monotonic_increasing:
        codes = col.cat.codes.to_numpy().astype(np.int64)
        present = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories)) > 0
        if present.all():
            return codes, pd.Index(col.cat.categories, name=column)
        remap = np.cumsum(present) - 1
        return (np.where(codes >= 0, remap[np.maximum(codes, 0)], -1),
                pd.Index(col.cat.categories[present], name=column))
    codes, ids = pd.factorize(col, sort=True)
    return codes.astype(np.int64, copy=False), pd.Index(ids, name=column)


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (int64)."""
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (radix sort; faster than ``np.unique``'s hash
    path on tens of millions of keys)."""
    s = np.sort(values, kind="stable")
    if len(s) == 0:
        return s
    return s[np.concatenate(([True], s[1:] != s[:-1]))]
