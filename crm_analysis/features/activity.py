"""Customer activity from the transaction log as of a day: classic RFM inputs, daily repeat
purchases of a cohort (for model tracking), order-channel shares. Vectorised; no loop over
customers. Each scan runs on the engine it is given (``engine=``, default pandas; see
docs/engines.md): the first two reduce the log with :func:`~crm_analysis.features.customer_days`,
channel shares with one ``GROUP BY customer, channel`` query.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.columns import MissingColumnsError
from crm_analysis.engines import (
    DIALECTS,
    EngineConfig,
    as_engine,
    before_sql,
    ident,
    run_query,
)
from crm_analysis.features.days import customer_days, day_of

__all__ = ["channel_shares", "customer_rfm", "daily_repeat_purchases"]



def customer_rfm(
    transactions: pd.DataFrame | str | os.PathLike | Any,
    *,
    as_of: object,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str | None = "amount",
    engine: EngineConfig | str | None = None,
) -> pd.DataFrame:
    """Classic RFM inputs per customer as of the end of day ``as_of``.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Spark DataFrame
        One row per order. Rows without a customer id (guest orders) and rows after the day
        ``as_of`` are ignored. The SQL engines also take Parquet/CSV paths or globs.
    as_of : date-like
        Snapshot day (inclusive: orders during that day count).
    customer_col, datetime_col, monetary_col : str
        Column names; ``monetary_col=None`` for a log without amounts.
    engine : EngineConfig or str, optional
        The transaction engine (default pandas), see :func:`customer_days`.

    Returns
    -------
    DataFrame
        Index: customer id (sorted). Columns ``recency_days`` (int, whole days from the last
        order's day to ``as_of``), ``orders`` (int, number of orders), ``revenue`` (float, sum of
        the amounts, currency units; NaN without ``monetary_col``), ``first_purchase`` and
        ``last_purchase`` (timestamps).
    """
    days = customer_days(transactions, customer_col=customer_col, datetime_col=datetime_col,
                         amount_col=monetary_col, as_of=as_of, engine=engine)
    starts = days.starts()
    ends = np.append(starts[1:], len(days)) - 1 if len(starts) else starts
    unit = "us"
    if isinstance(transactions, pd.DataFrame) and datetime_col in transactions.columns:
        dtype = transactions[datetime_col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            unit = np.datetime_data(np.dtype(getattr(dtype, "base", dtype)))[0]
    if len(days):
        orders = np.add.reduceat(days.transactions, starts)
        revenue = np.add.reduceat(days.amount, starts)
    else:
        orders, revenue = np.zeros(0, dtype=np.int64), np.zeros(0)

    def stamps(micros: np.ndarray) -> np.ndarray:
        return micros.astype("datetime64[us]").astype(f"datetime64[{unit}]")

    return pd.DataFrame({
        "recency_days": (day_of(as_of, "as_of") - days.day[ends]).astype(np.int64),
        "orders": orders.astype(np.int64),
        "revenue": revenue.astype(np.float64) if monetary_col else np.nan,
        "first_purchase": stamps(days.first_us[starts]),
        "last_purchase": stamps(days.last_us[ends]),
    }, index=days.customers)


def daily_repeat_purchases(
    transactions: pd.DataFrame | str | os.PathLike | Any,
    *,
    cohort_end: object,
    as_of: object,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    engine: EngineConfig | str | None = None,
) -> pd.DataFrame:
    """Per day: customers making their first purchase, and repeat purchase days of the cohort.

    The cohort is the customers whose first purchase is on or before ``cohort_end``; a repeat
    purchase is a purchase day after a customer's first (same-day orders count once), as in
    :func:`rfm_summary`. Used to track a model's expected repeat purchases against the actual.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Spark DataFrame
        Orders; rows without a customer id are ignored.
    cohort_end, as_of : date-like
        Last day on which a first purchase joins the cohort; last day counted (both inclusive).
    customer_col, datetime_col : str
        Column names.
    engine : EngineConfig or str, optional
        The transaction engine (default pandas), see :func:`customer_days`.

    Returns
    -------
    DataFrame
        Index: every day from the first purchase to ``as_of``; columns
        ``new_customers`` (cohort customers whose first purchase is that day) and
        ``repeat_purchases`` (repeat purchase days of cohort customers on that day).
    """
    cohort_day = day_of(cohort_end, "cohort_end")
    end_day = day_of(as_of, "as_of")
    if end_day <= cohort_day:
        raise ValueError("as_of must be after cohort_end")
    days = customer_days(transactions, customer_col=customer_col, datetime_col=datetime_col,
                         amount_col=None, as_of=as_of, engine=engine)
    if len(days) == 0:
        raise ValueError("no transactions up to as_of")
    start = int(days.day.min())
    span = end_day - start + 1
    day = days.day - start
    is_first = np.zeros(len(days), dtype=bool)
    is_first[days.starts()] = True
    first_day = day[is_first]
    in_cohort = first_day <= cohort_day - start
    repeat = in_cohort[np.cumsum(is_first) - 1] & ~is_first
    index = pd.date_range(pd.Timestamp(np.datetime64(start, "D")), periods=span, freq="D")
    return pd.DataFrame({
        "new_customers": np.bincount(first_day[in_cohort], minlength=span),
        "repeat_purchases": np.bincount(day[repeat], minlength=span),
    }, index=index)


def _channel_sql(source: str, dialect: str, last_day: int) -> str:
    d = DIALECTS[dialect]
    cust, chan = ident("customer_id", d), ident("channel", d)
    return f"""SELECT {cust} AS cid, COALESCE(LOWER(CAST({chan} AS {d.text})), 'unknown') AS ch,
       COUNT(*) AS n
FROM {source}
WHERE {cust} IS NOT NULL AND {before_sql("order_date", d, "D", last_day)}
GROUP BY 1, 2"""


def channel_shares(
    orders: pd.DataFrame | str | os.PathLike | Any,
    as_of: object,
    *,
    engine: EngineConfig | str | None = None,
) -> pd.DataFrame:
    """Share of each customer's orders by order channel, from orders on or before ``as_of``.

    Parameters
    ----------
    orders : DataFrame, str, Path or Spark DataFrame
        Orders with ``customer_id``, ``order_date`` and (optionally) ``channel``; channel names
        are compared in lower case, a missing channel counts as ``unknown``.
    as_of : date-like
        Last day counted (inclusive).
    engine : EngineConfig or str, optional
        The transaction engine and its limits (:class:`crm_analysis.engines.EngineConfig`, or an
        engine name); default pandas.

    Returns
    -------
    DataFrame
        Index customer_id (sorted); one column ``channel_<name>`` per channel (0..1, rows sum
        to 1); empty when the orders have no ``channel`` column.
    """
    engine = as_engine(engine)
    last_day = day_of(as_of, "as_of")
    if engine.name == "pandas":
        if "channel" not in orders.columns:
            return pd.DataFrame(index=pd.Index([], name="customer_id"))
        keep = ((pd.to_datetime(orders["order_date"]) < pd.Timestamp(np.datetime64(
                    last_day + 1, "D"))).to_numpy(bool)
                & orders["customer_id"].notna().to_numpy(bool))
        sub = orders.loc[keep, ["customer_id", "channel"]]
        cid = sub["customer_id"]
        chan_values = sub["channel"].astype("string").str.lower().fillna("unknown")
        weights = None
    else:
        try:
            raw = run_query(orders, engine,
                            lambda source, dialect: _channel_sql(source, dialect, last_day),
                            needed=["customer_id", "order_date", "channel"],
                            datetime_col="order_date")
        except MissingColumnsError as exc:
            if exc.missing == ["channel"]:
                return pd.DataFrame(index=pd.Index([], name="customer_id"))
            raise
        cid, chan_values, weights = raw["cid"], raw["ch"], raw["n"].to_numpy(np.float64)
    codes, ids = pd.factorize(cid, sort=True)
    chan, names = pd.factorize(chan_values, sort=True)
    counts = np.zeros((len(ids), len(names)))
    np.add.at(counts, (codes, chan), 1.0 if weights is None else weights)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    index = pd.Index(ids, name="customer_id")
    if isinstance(orders, pd.DataFrame) and index.dtype != orders["customer_id"].dtype:
        index = index.astype(orders["customer_id"].dtype)
    return pd.DataFrame(shares, index=index, columns=[f"channel_{n}" for n in names])
