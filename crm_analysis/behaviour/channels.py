"""Order channels over time, the weekly rhythm and return rates by customer group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.stats import wilson_ci

__all__ = ["channel_mix", "return_rates", "weekly_profile"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def channel_mix(orders: pd.DataFrame, *, freq: str = "M") -> pd.DataFrame:
    """Orders per period and channel and each channel's share of the period's orders.

    Parameters
    ----------
    orders : DataFrame
        ``order_date`` and ``channel`` (missing channel counts as "unknown").
    freq : str
        Pandas period alias ("M" months, "Q" quarters).

    Returns
    -------
    DataFrame
        ``period`` (period start, Timestamp), ``channel``, ``orders``, ``share`` (0..1).
    """
    period = orders["order_date"].dt.to_period(freq).dt.to_timestamp()
    channel = orders["channel"].astype("string").fillna("unknown")
    counts = (pd.DataFrame({"period": period, "channel": channel})
              .groupby(["period", "channel"], observed=True).size().rename("orders")
              .reset_index())
    counts["share"] = counts["orders"] / counts.groupby("period")["orders"].transform("sum")
    return counts


NO_TIME = "any time"
"""The one column of :func:`weekly_profile` when the data has no times of day."""


def has_time_of_day(dates: pd.Series) -> bool:
    """Whether any timestamp carries a time of day (exports often date orders at midnight)."""
    return bool((dates != dates.dt.normalize()).any())


def weekly_profile(orders: pd.DataFrame) -> pd.DataFrame:
    """Share of orders by day of week (rows Mon..Sun) and hour of day (columns 0..23).

    When every order is dated at midnight the data has no times of day, and the profile is the
    share per weekday only (one column, :data:`NO_TIME`): a midnight column would be invented.

    Returns
    -------
    DataFrame
        7 x 24 (or 7 x 1) shares summing to 1 (index ``day``, columns ``hour``).
    """
    dates = orders["order_date"]
    hours = 24 if has_time_of_day(dates) else 1
    cell = dates.dt.day_of_week.to_numpy() * hours + (dates.dt.hour.to_numpy() if hours > 1
                                                      else 0)
    counts = np.bincount(cell, minlength=DAYS_PER_WEEK * hours).reshape(DAYS_PER_WEEK, hours)
    share = counts / max(counts.sum(), 1)
    columns = range(24) if hours > 1 else [NO_TIME]
    return pd.DataFrame(share, index=pd.Index(DAYS, name="day"),
                        columns=pd.Index(columns, name="hour"))


def return_rates(orders: pd.DataFrame, groups: pd.Series | None = None, *,
                 ci: float = 0.95) -> pd.DataFrame:
    """Share of orders returned (partly) and cancelled, overall or per customer group.

    Parameters
    ----------
    orders : DataFrame
        Orders of known customers with ``customer_id`` and ``status`` (completed / returned /
        cancelled after netting).
    groups : Series, optional
        Group label indexed by customer id; orders of customers without a label are left out.
    ci : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        ``group``, ``orders``, ``returned``, ``return_rate`` (+ ``_lo``/``_hi``), ``cancelled``,
        ``cancel_rate`` (+ ``_lo``/``_hi``).
    """
    status = orders["status"].astype("string").str.lower()
    label = (orders["customer_id"].map(groups) if groups is not None
             else pd.Series("all customers", index=orders.index))
    frame = pd.DataFrame({"group": label.to_numpy(),
                          "returned": status.eq("returned").fillna(False).to_numpy(bool),
                          "cancelled": status.eq("cancelled").fillna(False).to_numpy(bool)})
    out = (frame.dropna(subset=["group"]).groupby("group", observed=True)
           .agg(orders=("returned", "size"), returned=("returned", "sum"),
                cancelled=("cancelled", "sum")).reset_index())
    for what, rate in (("returned", "return_rate"), ("cancelled", "cancel_rate")):
        out[rate] = out[what] / out["orders"]
        out[f"{rate}_lo"], out[f"{rate}_hi"] = wilson_ci(out[what], out["orders"], ci=ci)
    return out
