"""The event arrays every churn computation works on, prepared once from the cleaned tables.

Ids are factorised once (sorted), dates become integer day numbers (days since 1970-01-01) or
minutes, and purchases are reduced to one row per customer and purchase day, sorted by customer
and day. Every feature and label at a cutoff is then a boolean mask and a few ``bincount`` calls
(no loop over customers, no string work per cutoff).

Conventions (see docs/churn.md):

- a *purchase* is an order with a customer id and a positive net amount (fully cancelled or
  returned orders, and guest orders, are not purchases);
- a *cutoff* is a calendar day; "data up to the cutoff" means everything dated on or before that
  day (the whole day counts, as in :func:`crm_analysis.features.rfm_summary`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.engines import (
    DIALECTS,
    EngineConfig,
    Table,
    as_engine,
    ident,
    period_sql,
    run_tables_query,
    source_columns,
)
from crm_analysis.features.days import customer_days
from crm_analysis.features.days import day_of as day_number
from crm_analysis.keys import positions
from crm_analysis.money import has_amounts

__all__ = ["ChurnInputs", "PurchaseLog", "day_number", "prepare_inputs", "purchase_log"]

MINUTES_PER_DAY = 1440
_NAT = np.iinfo(np.int64).min
OPTIONAL_TABLES: tuple[str, ...] = ("order_items", "products", "customers", "service_tickets",
                                    "campaign_contacts")


def _stamps(values: pd.Series, unit: str) -> np.ndarray:
    """int64 numbers of ``unit`` since 1970 (``_NAT`` for missing values)."""
    dates = values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    arr = dates.to_numpy(dtype="datetime64[ns]")
    out = arr.astype(f"datetime64[{unit}]").astype(np.int64)
    out[np.isnat(arr)] = _NAT
    return out


@dataclass(frozen=True)
class PurchaseLog:
    """Purchases reduced to one entry per customer and day, sorted by customer code and day.

    Attributes
    ----------
    customers : Index
        Customer ids by code (sorted); every customer with at least one purchase.
    code : ndarray of int64
        Customer code of each purchase day.
    day : ndarray of int64
        Day number (days since 1970-01-01).
    amount : ndarray of float64
        Net amount bought that day (currency).
    orders : ndarray of int64
        Orders placed that day.
    has_amounts : bool
        False for a log without amounts (visits, bookings): ``amount`` is then 0 throughout
        and means nothing.
    """

    customers: pd.Index
    code: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    orders: np.ndarray
    has_amounts: bool = True

    @property
    def n_customers(self) -> int:
        """Number of customers with a purchase."""
        return len(self.customers)

    def first_day(self) -> int:
        """Day number of the earliest purchase."""
        return int(self.day.min())

    def last_day(self) -> int:
        """Day number of the latest purchase."""
        return int(self.day.max())


def purchase_log(
    orders: pd.DataFrame | str | os.PathLike | Any,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    amount_col: str | None = "amount",
    engine: EngineConfig | str | None = None,
) -> PurchaseLog:
    """Reduce an order table to customer purchase days.

    Parameters
    ----------
    orders : DataFrame, str, Path or Spark DataFrame
        Cleaned orders, one row per order; guest orders (no customer id) and orders with a net
        amount of 0 or less are left out. The SQL engines also take Parquet/CSV paths.
    customer_col, datetime_col, amount_col : str
        Column names; ``amount_col=None`` for a log without amounts (every row a purchase).
    engine : EngineConfig or str, optional
        The transaction engine that does the reduction (default pandas;
        :func:`crm_analysis.features.customer_days`).

    Returns
    -------
    PurchaseLog
    """
    days = customer_days(orders, customer_col=customer_col, datetime_col=datetime_col,
                         amount_col=amount_col, positive_only=True, engine=engine)
    return PurchaseLog(customers=days.customers, code=days.code, day=days.day,
                       amount=days.amount, orders=days.transactions,
                       has_amounts=amount_col is not None)


@dataclass(frozen=True)
class ChurnInputs:
    """The purchase log plus the optional event tables, coded by the log's customer codes.

    Each optional group is a dict of arrays (``None`` when its table is absent or unusable);
    ``notes`` says in words why a group is missing.
    """

    log: PurchaseLog
    order_status: dict[str, np.ndarray] | None = None
    items: dict[str, np.ndarray] | None = None
    tickets: dict[str, np.ndarray] | None = None
    contacts: dict[str, np.ndarray] | None = None
    profile: pd.DataFrame | None = None
    notes: dict[str, str] = field(default_factory=dict)


def _is(values: pd.Series, word: str) -> np.ndarray:
    """Boolean array: ``values == word`` with missing values False (vectorised in Arrow)."""
    return (values == word).fillna(False).to_numpy(dtype=bool)


def _codes(log: PurchaseLog, ids: pd.Series) -> np.ndarray:
    return positions(ids, log.customers)


def _order_status(log: PurchaseLog, orders: pd.DataFrame) -> dict[str, np.ndarray] | None:
    if "status" not in orders.columns:
        return None
    code = _codes(log, orders["customer_id"])
    ok = code >= 0
    status = orders["status"].astype("string").str.lower()
    return {"code": code[ok], "day": _stamps(orders["order_date"], "D")[ok],
            "returned": _is(status, "returned")[ok], "cancelled": _is(status, "cancelled")[ok]}


def _first_pairs(code: np.ndarray, item: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    """First day each (customer, item) pair was seen: ``code`` and ``first_day`` per pair."""
    ok = (code >= 0) & (item >= 0) & (day != _NAT)
    code, item, day = code[ok], item[ok], day[ok]
    if len(code) == 0:
        return {"code": code, "first_day": day}
    n_items = int(item.max()) + 1
    lo = int(day.min())
    span = int(day.max()) - lo + 1
    if (int(code.max()) + 1) * n_items * span >= 2**62:  # keys would overflow int64
        order = np.lexsort((day, code * n_items + item))
        pair, day = (code * n_items + item)[order], day[order]
        first = np.concatenate(([True], pair[1:] != pair[:-1]))
        return {"code": pair[first] // n_items, "first_day": day[first]}
    # one int64 key per line, (pair, day) in lexicographic order; sorted, a pair's first key
    # holds its first day (a single sort instead of a two-key lexsort)
    key = np.sort((code * n_items + item) * span + (day - lo))
    pair = key // span
    first = np.concatenate(([True], pair[1:] != pair[:-1]))
    return {"code": pair[first] // n_items, "first_day": key[first] % span + lo}


def _items(log: PurchaseLog, orders: pd.DataFrame, items: pd.DataFrame,
           products: pd.DataFrame | None) -> dict[str, np.ndarray]:
    if not orders["order_id"].is_unique:
        orders = orders.drop_duplicates("order_id")
    pos = positions(items["order_id"], orders["order_id"])
    found = pos >= 0
    order_code = _codes(log, orders["customer_id"])
    order_day = _stamps(orders["order_date"], "D")
    code = np.where(found, order_code[np.where(found, pos, 0)], -1)
    day = order_day[np.where(found, pos, 0)]
    product, _ = pd.factorize(items["product_id"])
    out = {f"product_{k}": v for k, v in _first_pairs(code, product, day).items()}
    if products is not None and "category" in products.columns:
        category_codes, _ = pd.factorize(products["category"])
        at = pd.Index(products["product_id"]).get_indexer(items["product_id"])
        category = np.where(at >= 0, category_codes[np.where(at >= 0, at, 0)], -1)
        out.update({f"category_{k}": v for k, v in _first_pairs(code, category, day).items()})
    return out


def _items_sql(source: dict[str, str], dialect: str, with_category: bool) -> str:
    d = DIALECTS[dialect]
    q = lambda name: ident(name, d)  # noqa: E731
    day = period_sql("order_date", d, "D")
    category = "" if not with_category else f"""
UNION ALL
SELECT 'category' AS kind, cid, first_day, COUNT(*) AS n
FROM (SELECT l.cid, MIN(l.day) AS first_day
      FROM lines l JOIN {source["products"]} p ON l.pid = p.{q("product_id")}
      WHERE p.{q("category")} IS NOT NULL
      GROUP BY l.cid, p.{q("category")}) c
GROUP BY cid, first_day"""
    return f"""WITH o AS (
  SELECT {q("order_id")} AS oid, {q("customer_id")} AS cid, {day} AS day
  FROM {source["orders"]}
  WHERE {q("customer_id")} IS NOT NULL AND {q("order_date")} IS NOT NULL
), lines AS (
  SELECT o.cid, o.day, i.{q("product_id")} AS pid
  FROM {source["items"]} i JOIN o ON i.{q("order_id")} = o.oid
  WHERE i.{q("product_id")} IS NOT NULL
)
SELECT 'product' AS kind, cid, first_day, COUNT(*) AS n
FROM (SELECT cid, MIN(day) AS first_day FROM lines GROUP BY cid, pid) f
GROUP BY cid, first_day{category}"""


def _items_on_engine(log: PurchaseLog, orders: object, items: object, products: object,
                     engine: EngineConfig) -> dict[str, np.ndarray]:
    """:func:`_items` on a SQL engine: the first-seen pairs counted per customer and day."""
    tables = {"orders": Table(orders, ["order_id", "customer_id", "order_date"], "order_date"),
              "items": Table(items, ["order_id", "product_id"])}
    with_category = "category" in source_columns(products)
    if with_category:
        tables["products"] = Table(products, ["product_id", "category"])
    raw = run_tables_query(tables, engine,
                           lambda views, dialect: _items_sql(views, dialect, with_category))
    code = log.customers.get_indexer(pd.Index(raw["cid"]).astype(log.customers.dtype))
    ok = code >= 0
    out = {}
    for kind in ("product", "category") if with_category else ("product",):
        rows = ok & (raw["kind"] == kind).to_numpy(bool)
        out[f"{kind}_code"] = code[rows].astype(np.int64)
        out[f"{kind}_first_day"] = raw["first_day"].to_numpy(np.int64)[rows]
        out[f"{kind}_count"] = raw["n"].to_numpy(np.int64)[rows]
    return out


def _tickets(log: PurchaseLog, tickets: pd.DataFrame) -> dict[str, np.ndarray]:
    code = _codes(log, tickets["customer_id"])
    opened = _stamps(tickets["opened_at"], "m")
    ok = (code >= 0) & (opened != _NAT)
    resolved = (_stamps(tickets["resolved_at"], "m") if "resolved_at" in tickets.columns
                else np.full(len(tickets), _NAT))
    resolved = np.where(resolved == _NAT, np.iinfo(np.int64).max, resolved)
    complaint = _is(tickets["type"].astype("string").str.lower(), "complaint")
    sat = (pd.to_numeric(tickets["satisfaction"]).to_numpy(dtype=float, na_value=np.nan)
           if "satisfaction" in tickets.columns else np.full(len(tickets), np.nan))
    return {"code": code[ok], "opened": opened[ok], "resolved": resolved[ok],
            "complaint": complaint[ok], "satisfaction": sat[ok]}


def _contacts(log: PurchaseLog, contacts: pd.DataFrame) -> dict[str, np.ndarray]:
    code = _codes(log, contacts["customer_id"])
    sent = _stamps(contacts["sent_at"], "m")
    ok = (code >= 0) & (sent != _NAT)
    out = {"code": code[ok], "sent": sent[ok]}
    for flag in ("opened", "clicked", "converted"):
        values = (contacts[flag].astype("boolean").fillna(False).to_numpy(dtype=bool)
                  if flag in contacts.columns else np.zeros(len(contacts), dtype=bool))
        out[flag] = values[ok]
    return out


def _profile(log: PurchaseLog, customers: pd.DataFrame, max_levels: int = 8) -> pd.DataFrame:
    """Static customer attributes as numeric columns, one row per purchase-log customer."""
    table = customers.drop_duplicates("customer_id").set_index("customer_id")
    at = table.index.get_indexer(log.customers)
    found = at >= 0
    out: dict[str, np.ndarray] = {}
    if "age" in table.columns:
        age = pd.to_numeric(table["age"]).to_numpy(dtype=float, na_value=np.nan)
        age = np.where(found, age[np.where(found, at, 0)], np.nan)
        median = np.nanmedian(age) if np.isfinite(age).any() else 0.0
        out["age"] = np.where(np.isfinite(age), age, median)
    if "marketing_opt_in" in table.columns:
        opt = table["marketing_opt_in"].astype("boolean").fillna(False).to_numpy(dtype=float)
        out["marketing_opt_in"] = np.where(found, opt[np.where(found, at, 0)], 0.0)
    for col, prefix in (("acquisition_channel", "acquired_"), ("region", "region_")):
        if col not in table.columns:
            continue
        values = table[col].astype("string")
        levels = values.value_counts().index[:max_levels]
        vals = values.to_numpy(dtype=object, na_value="")
        for level in sorted(levels):
            hit = (vals == level).astype(float)
            out[f"{prefix}{level}"] = np.where(found, hit[np.where(found, at, 0)], 0.0)
    return pd.DataFrame(out, index=log.customers)


def prepare_inputs(
    orders: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame | None] | None = None,
    *,
    engine: EngineConfig | str | None = None,
) -> ChurnInputs:
    """Prepare the cleaned tables for churn features: one pass over each table.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders (``order_id``, ``customer_id``, ``order_date``, ``amount``, optional
        ``status``).
    tables : mapping, optional
        Optional cleaned tables by name: ``order_items``, ``products``, ``customers``,
        ``service_tickets``, ``campaign_contacts``; absent or ``None`` tables switch their
        feature group off (``ChurnInputs.notes`` says which and why). On the DuckDB and Spark
        engines ``order_items`` and ``products`` may also be Parquet/CSV paths (e.g. from
        :func:`crm_analysis.io.scan_table`): the engine scans them and the order lines never
        enter pandas.
    engine : EngineConfig or str, optional
        Where the two transaction-level scans run, the purchase log and the first-seen
        (customer, product/category) pairs of the order lines: default pandas (see
        :func:`crm_analysis.features.customer_days`).

    Returns
    -------
    ChurnInputs
    """
    tables = {k: v for k, v in (tables or {}).items()
              if v is not None and (not isinstance(v, pd.DataFrame) or len(v))}
    engine = as_engine(engine)
    log = purchase_log(orders, amount_col="amount" if has_amounts(orders) else None,
                       engine=engine)
    notes: dict[str, str] = {}
    if not log.has_amounts:
        notes["spend"] = "orders carry no amounts, so spend and order value are unknown"
    status = _order_status(log, orders)
    if status is None:
        notes["returns"] = "orders have no status column, so returns and cancellations are unknown"
    items = None
    if "order_items" in tables and "order_id" in orders.columns:
        items = (_items(log, orders, tables["order_items"], tables.get("products"))
                 if engine.name == "pandas" else
                 _items_on_engine(log, orders, tables["order_items"], tables.get("products"),
                                  engine))
        if "category_code" not in items:
            notes["categories"] = "no products table with categories: breadth counts products only"
    else:
        notes["basket"] = "no order items table: category and product breadth are skipped"
    tickets = None
    if "service_tickets" in tables:
        tickets = _tickets(log, tables["service_tickets"])
    else:
        notes["service"] = "no service tickets table: complaints and ticket history are skipped"
    contacts = None
    if "campaign_contacts" in tables:
        contacts = _contacts(log, tables["campaign_contacts"])
    else:
        notes["campaigns"] = "no campaign contacts table: campaign engagement is skipped"
    profile = None
    if "customers" in tables:
        profile = _profile(log, tables["customers"])
        if profile.shape[1] == 0:
            profile = None
    if profile is None:
        notes["profile"] = ("no customers table: age, opt-in, region and acquisition channel "
                            "are skipped")
    return ChurnInputs(log, status, items, tickets, contacts, profile, notes)
