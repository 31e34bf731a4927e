"""Customer activity from the transaction log as of a day: classic RFM inputs, daily repeat
purchases of a cohort (for model tracking), order-channel shares. Vectorised; no loop over
customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def customer_rfm(
    transactions: pd.DataFrame,
    *,
    as_of: object,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> pd.DataFrame:
    """Classic RFM inputs per customer as of the end of day ``as_of``.

    Parameters
    ----------
    transactions : DataFrame
        One row per order. Rows without a customer id (guest orders) and rows after the day
        ``as_of`` are ignored.
    as_of : date-like
        Snapshot day (inclusive: orders during that day count).
    customer_col, datetime_col, monetary_col : str
        Column names.

    Returns
    -------
    DataFrame
        Index: customer id (sorted). Columns ``recency_days`` (int, whole days from the last
        order's day to ``as_of``), ``orders`` (int, number of orders), ``revenue`` (float, sum of
        the amounts, currency units), ``first_purchase`` and ``last_purchase`` (timestamps).
    """
    day = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(transactions[datetime_col])
    keep = transactions[customer_col].notna() & (dates < day + pd.Timedelta(days=1))
    frame = pd.DataFrame({
        "customer": transactions.loc[keep, customer_col],
        "date": dates[keep],
        "amount": pd.to_numeric(transactions.loc[keep, monetary_col]).astype("float64"),
    })
    out = frame.groupby("customer", sort=True).agg(
        orders=("amount", "size"), revenue=("amount", "sum"),
        first_purchase=("date", "min"), last_purchase=("date", "max"))
    out.index.name = customer_col
    recency = (day - out["last_purchase"].dt.normalize()).dt.days.astype("int64")
    return out.assign(recency_days=recency)[
        ["recency_days", "orders", "revenue", "first_purchase", "last_purchase"]]


def daily_repeat_purchases(
    transactions: pd.DataFrame,
    *,
    cohort_end: object,
    observation_end: object,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
) -> pd.DataFrame:
    """Per day: customers making their first purchase, and repeat purchase days of the cohort.

    The cohort is the customers whose first purchase is on or before ``cohort_end``; a repeat
    purchase is a purchase day after a customer's first (same-day orders count once), as in
    :func:`rfm_summary`. Used to track a model's expected repeat purchases against the actual.

    Parameters
    ----------
    transactions : DataFrame
        Orders; rows without a customer id are ignored.
    cohort_end, observation_end : date-like
        Last day on which a first purchase joins the cohort; last day counted (both inclusive).
    customer_col, datetime_col : str
        Column names.

    Returns
    -------
    DataFrame
        Index: every day from the first purchase to ``observation_end``; columns
        ``new_customers`` (cohort customers whose first purchase is that day) and
        ``repeat_purchases`` (repeat purchase days of cohort customers on that day).
    """
    cohort_day = int(np.datetime64(pd.Timestamp(cohort_end).normalize(), "D").astype(np.int64))
    end_day = int(np.datetime64(pd.Timestamp(observation_end).normalize(), "D").astype(np.int64))
    if end_day <= cohort_day:
        raise ValueError("observation_end must be after cohort_end")
    tx = transactions[transactions[customer_col].notna()]
    days = pd.to_datetime(tx[datetime_col]).to_numpy().astype("datetime64[D]").astype(np.int64)
    codes, _ = pd.factorize(tx[customer_col])
    inside = days <= end_day
    codes, days = codes[inside], days[inside]
    if len(days) == 0:
        raise ValueError("no transactions up to observation_end")
    start = int(days.min())
    span = end_day - start + 1
    # distinct (customer, day) pairs in sorted order; a customer's first pair is her first day
    pairs = np.unique(codes.astype(np.int64) * span + (days - start))
    pair_code, pair_day = pairs // span, pairs % span
    is_first = np.concatenate(([True], pair_code[1:] != pair_code[:-1]))
    first_day = pair_day[is_first]
    in_cohort = first_day <= cohort_day - start
    repeat = in_cohort[np.cumsum(is_first) - 1] & ~is_first
    index = pd.date_range(pd.Timestamp(np.datetime64(start, "D")), periods=span, freq="D")
    return pd.DataFrame({
        "new_customers": np.bincount(first_day[in_cohort], minlength=span),
        "repeat_purchases": np.bincount(pair_day[repeat], minlength=span),
    }, index=index)


def channel_shares(orders: pd.DataFrame, cutoff: object) -> pd.DataFrame:
    """Share of each customer's orders by order channel, from orders on or before ``cutoff``.

    Returns
    -------
    DataFrame
        Index customer_id; one column ``channel_<name>`` per channel (0..1); empty when the
        orders have no ``channel`` column.
    """
    if "channel" not in orders.columns:
        return pd.DataFrame(index=pd.Index([], name="customer_id"))
    day = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    keep = ((pd.to_datetime(orders["order_date"]) < day).to_numpy(bool)
            & orders["customer_id"].notna().to_numpy(bool))
    sub = orders.loc[keep, ["customer_id", "channel"]]
    codes, ids = pd.factorize(sub["customer_id"], sort=True)
    chan, names = pd.factorize(sub["channel"].astype("string").str.lower().fillna("unknown"),
                               sort=True)
    counts = np.zeros((len(ids), len(names)))
    np.add.at(counts, (codes, chan), 1.0)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    return pd.DataFrame(shares, index=pd.Index(ids, name="customer_id"),
                        columns=[f"channel_{n}" for n in names])
