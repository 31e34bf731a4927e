"""Customer purchase days: the transaction log reduced to one row per customer and calendar day.

This is the heavy scan behind the day-level features (classic RFM inputs, cohort tracking, the
churn event arrays): millions of transactions become one row per customer and day, sorted by
customer and day, which the callers then reduce with numpy. It runs on the engine the data
lives on (:mod:`crm_analysis.engines`):

- ``pandas``: factorised ids, integer day numbers, one sort and ``reduceat`` passes;
- ``duckdb`` / ``spark``: one ``GROUP BY customer, day`` query written once
  (:func:`customer_days_sql`), from a DataFrame, Parquet/CSV files or a Spark DataFrame.

A day is the calendar day of the wall-clock timestamp (days since 1970-01-01), as numpy's
``datetime64[D]``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.columns import require_columns
from crm_analysis.engines import (
    DIALECTS,
    EngineConfig,
    as_engine,
    before_sql,
    ident,
    period_sql,
    run_query,
)

__all__ = ["CustomerDays", "customer_days", "customer_days_sql", "day_of"]

_US_PER_DAY = 86_400_000_000


def day_of(value: object, what: str = "date") -> int:
    """Calendar day of ``value`` (days since 1970-01-01; time zone dropped, wall-clock kept)."""
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        raise ValueError(f"{what} is missing (NaT)")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.to_datetime64(), "D").astype(np.int64))


@dataclass(frozen=True)
class CustomerDays:
    """Transactions per customer and calendar day, sorted by customer code and day.

    Attributes
    ----------
    customers : Index
        Customer ids by code (sorted), named after the customer column; every customer with a
        kept transaction.
    code, day : ndarray of int64
        Customer code and day number (days since 1970-01-01) of each row.
    transactions : ndarray of int64
        Rows of the log on that day (orders, when the log has one row per order).
    amount : ndarray of float64
        Sum of the amounts that day (currency; 0 without an amount column; missing amounts are
        left out of the sum).
    first_us, last_us : ndarray of int64
        Earliest and latest timestamp that day, microseconds since 1970-01-01.
    """

    customers: pd.Index
    code: np.ndarray
    day: np.ndarray
    transactions: np.ndarray
    amount: np.ndarray
    first_us: np.ndarray
    last_us: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def starts(self) -> np.ndarray:
        """Position of each customer's first row (``len(customers)`` positions)."""
        if not len(self.code):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.concatenate(([True], self.code[1:] != self.code[:-1])))


def customer_days_sql(
    source: str,
    dialect: str,
    *,
    customer_col: str,
    datetime_col: str,
    amount_col: str | None,
    last_day: int | None,
    positive_only: bool,
) -> str:
    """The customer-day aggregation in one engine's dialect (see :func:`customer_days`).

    Returns
    -------
    str
        A query with columns ``cid, day, n, amount, first_us, last_us``, sorted by ``cid, day``.
    """
    d = DIALECTS[dialect]
    cust, dt = ident(customer_col, d), ident(datetime_col, d)
    amt = f"CAST({ident(amount_col, d)} AS {d.double})" if amount_col else "0.0"
    micros = f"{d.epoch_micros}(CAST({dt} AS TIMESTAMP))"
    keep = [f"{cust} IS NOT NULL", before_sql(datetime_col, d, "D", last_day)]
    if positive_only and amount_col:
        keep.append(f"{amt} > 0")
    return f"""SELECT {cust} AS cid, {period_sql(datetime_col, d, "D")} AS day,
       COUNT(*) AS n, COALESCE(SUM({amt}), 0.0) AS amount,
       MIN({micros}) AS first_us, MAX({micros}) AS last_us
FROM {source}
WHERE {" AND ".join(keep)}
GROUP BY 1, 2
ORDER BY 1, 2"""


def _pandas_days(tx: pd.DataFrame, customer_col: str, datetime_col: str, amount_col: str | None,
                 last_day: int | None, positive_only: bool) -> CustomerDays:
    require_columns(tx.columns, [customer_col, datetime_col, amount_col],
                    hint="Pass customer_col=, datetime_col=, amount_col= to name yours")
    dates = tx[datetime_col]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates)
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    arr = dates.to_numpy(dtype="datetime64[us]")
    micros = arr.astype(np.int64)
    keep = ~np.isnat(arr) & tx[customer_col].notna().to_numpy(bool)
    amount = (pd.to_numeric(tx[amount_col]).to_numpy(dtype=np.float64, na_value=np.nan)
              if amount_col else np.zeros(len(tx)))
    if positive_only and amount_col:
        keep &= amount > 0
    days = np.floor_divide(micros, _US_PER_DAY)
    if last_day is not None:
        keep &= days <= last_day
    ids = tx[customer_col] if keep.all() else tx[customer_col][keep]
    codes, customers = pd.factorize(ids, sort=True)
    if isinstance(customers, pd.Categorical | pd.CategoricalIndex):  # plain ids, as SQL gives
        customers = customers.astype(customers.categories.dtype)
    name = customer_col
    if not keep.any():
        empty = np.zeros(0, dtype=np.int64)
        return CustomerDays(pd.Index(customers, name=name), empty, empty, empty,
                            np.zeros(0), empty, empty)
    codes = codes.astype(np.int64, copy=False)
    days, micros, amount = days[keep], micros[keep], np.nan_to_num(amount[keep])
    lo = int(days.min())
    span = int(days.max()) - lo + 1
    key = codes * span + (days - lo)
    order = np.argsort(key, kind="stable")
    key = key[order]
    start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    micros = micros[order]
    return CustomerDays(
        customers=pd.Index(customers, name=name),
        code=key[start] // span,
        day=key[start] % span + lo,
        transactions=np.diff(np.append(start, len(key))).astype(np.int64),
        amount=np.add.reduceat(amount[order], start),
        first_us=np.minimum.reduceat(micros, start),
        last_us=np.maximum.reduceat(micros, start),
    )


def _from_sql(raw: pd.DataFrame, transactions: object, customer_col: str) -> CustomerDays:
    codes, customers = pd.factorize(raw["cid"], sort=True)
    codes = codes.astype(np.int64)
    day = raw["day"].to_numpy(np.int64)
    order = None
    if len(day):  # ORDER BY cid, day; re-sort if the engine's collation differs from ours
        key = codes * (int(day.max()) - int(day.min()) + 1) + (day - int(day.min()))
        if np.any(np.diff(key) <= 0):
            order = np.argsort(key, kind="stable")
    index = pd.Index(customers, name=customer_col)
    if isinstance(transactions, pd.DataFrame):
        wanted = transactions[customer_col].dtype
        if index.dtype != wanted:
            index = index.astype(wanted)
    elif index.dtype == object and len(index) and all(isinstance(v, str) for v in index[:100]):
        index = index.astype("str")

    def col(name: str, dtype: type) -> np.ndarray:
        values = raw[name].to_numpy(dtype)
        return values if order is None else values[order]

    return CustomerDays(
        customers=index,
        code=codes if order is None else codes[order],
        day=day if order is None else day[order],
        transactions=col("n", np.int64),
        amount=col("amount", np.float64),
        first_us=col("first_us", np.int64),
        last_us=col("last_us", np.int64),
    )


def customer_days(
    transactions: pd.DataFrame | str | os.PathLike | Any,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    amount_col: str | None = "amount",
    as_of: object = None,
    positive_only: bool = False,
    engine: EngineConfig | str | None = None,
) -> CustomerDays:
    """Reduce a transaction log to one row per customer and calendar day.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Spark DataFrame
        One row per order (or line); rows without a customer id or date are ignored. The SQL
        engines also take a path, glob or folder of Parquet/CSV files (scanned, never loaded
        into pandas) and, for Spark, a Spark DataFrame.
    customer_col, datetime_col, amount_col : str
        Column names (``amount_col=None``: amounts are 0).
    as_of : date-like, optional
        Last day kept (inclusive: the whole day counts); default all.
    positive_only : bool
        Keep only rows with an amount above 0 (purchases, not refunds or zero orders); without
        ``amount_col`` (a log of visits or bookings) every row is a purchase.
    engine : EngineConfig or str, optional
        The transaction engine and its limits (:class:`crm_analysis.engines.EngineConfig`, or an
        engine name); default pandas.

    Returns
    -------
    CustomerDays
        Sorted by customer and day; every engine gives the same arrays (sums to rounding).
    """
    engine = as_engine(engine)
    last_day = None if as_of is None else day_of(as_of, "as_of")
    if engine.name == "pandas":
        if not isinstance(transactions, pd.DataFrame):
            raise TypeError("engine='pandas' takes a pandas DataFrame; for files use "
                            "engine='duckdb' (or read them first)")
        return _pandas_days(transactions, customer_col, datetime_col, amount_col, last_day,
                            positive_only)

    def make_sql(source: str, dialect: str) -> str:
        return customer_days_sql(source, dialect, customer_col=customer_col,
                                 datetime_col=datetime_col, amount_col=amount_col,
                                 last_day=last_day, positive_only=positive_only)

    needed = [customer_col, datetime_col] + ([amount_col] if amount_col else [])
    raw = run_query(transactions, engine, make_sql, needed=needed, datetime_col=datetime_col)
    return _from_sql(raw, transactions, customer_col)
