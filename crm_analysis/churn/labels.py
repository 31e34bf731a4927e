"""Churn labels at a cutoff and the default churn horizon.

A customer *churns* at a cutoff when she makes no purchase in the ``horizon_days`` days after it,
i.e. none dated in (cutoff, cutoff + horizon] (whole days). Only customers *active* at the
cutoff are labelled: at least one purchase on or before the cutoff, the last one within
``active_days`` of it (default 365: customers silent for over a year are already lost and would
make any model look good for free).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.churn.events import PurchaseLog, day_number
from crm_analysis.markup import Markup, md

__all__ = ["ACTIVE_DAYS", "Horizon", "active_customers", "churn_labels", "cutoff_dates",
           "derive_horizon", "repeat_gaps"]

ACTIVE_DAYS = 365
"""Default activity window (days): customers whose last purchase is older are not scored."""


def repeat_gaps(log: PurchaseLog, cutoff: object) -> np.ndarray:
    """Days between consecutive purchase days of the same customer, up to ``cutoff``.

    Returns
    -------
    ndarray of int64, one gap per repeat purchase day.
    """
    m = log.day <= day_number(cutoff)
    code, day = log.code[m], log.day[m]
    same = code[1:] == code[:-1]
    return np.diff(day)[same]


@dataclass(frozen=True)
class Horizon:
    """The churn horizon and why it was chosen.

    Attributes
    ----------
    days : int
        Horizon in days.
    quantile_days : float
        The chosen percentile of repeat gaps, days (NaN when the horizon was given).
    derived : bool
        Whether ``days`` was derived from the data (False: given as a parameter).
    capped : bool
        Whether the derived value was shortened to fit the backtest into the history.
    reasoning : Markup
        The choice in words (Markdown).
    """

    days: int
    quantile_days: float
    derived: bool
    capped: bool
    reasoning: Markup


def derive_horizon(
    log: PurchaseLog,
    snapshot: object,
    *,
    horizon_days: int | None = None,
    quantile: float = 0.9,
    n_cutoffs: int = 4,
) -> Horizon:
    """The churn horizon: given, or the ``quantile`` of repeat gaps rounded to whole weeks.

    Parameters
    ----------
    log : PurchaseLog
        Purchases (only those on or before ``snapshot`` are used).
    snapshot : date-like
        Analysis date.
    horizon_days : int, optional
        A fixed horizon in days; ``None`` derives it.
    quantile : float, default 0.9
        Share of repeat gaps shorter than the derived horizon.
    n_cutoffs : int, default 4
        Backtest cutoffs that must fit before the snapshot, spaced by the horizon, with one more
        horizon of history before the first; a longer derived horizon is shortened.

    Returns
    -------
    Horizon
    """
    snap = day_number(snapshot)
    history = snap - log.first_day() + 1
    fit_max = history // (n_cutoffs + 1)
    if horizon_days is not None:
        days = int(horizon_days)
        if days < 1:
            raise ValueError(f"churn_horizon_days must be >= 1, got {horizon_days}")
        return Horizon(days, float("nan"), False, False,
                       md("The churn horizon is set to **{days} days** (a parameter).", days=days))
    gaps = repeat_gaps(log, snapshot)
    if len(gaps) < 20:
        raise ValueError(f"only {len(gaps)} repeat purchases before the snapshot: too few to "
                         "derive a churn horizon; set churn_horizon_days")
    q = float(np.quantile(gaps, quantile))
    days = max(7, round(q / 7.0) * 7)
    capped = days > fit_max
    text = md("{quantile:.0%} of the {gaps:,} gaps between two purchases of the same customer are "
              "shorter than {q:,.0f} days; rounded to whole weeks the churn horizon is **{days} "
              "days**. A customer who makes no purchase within {days} days of a date has stayed "
              "away longer than {quantile:.0%} of the gaps returning customers ever show, so we "
              "call her churned.", quantile=quantile, gaps=len(gaps), q=q, days=days)
    if capped:
        new = max(7, fit_max // 7 * 7)
        text = md("{text} The history ({history:,} days) is too short for {n} backtest cutoffs "
                  "{days} days apart, so the horizon is shortened to **{new} days**.", text=text,
                  history=history, n=n_cutoffs, days=days, new=new)
        days = new
    if days < 7 or fit_max < 7:
        raise ValueError(f"{history} days of history are too short for {n_cutoffs} cutoffs")
    return Horizon(days, q, True, capped, text)


def cutoff_dates(snapshot: object, horizon_days: int, n_cutoffs: int) -> list[pd.Timestamp]:
    """Backtest cutoffs: the last one ``horizon_days`` before the snapshot, spaced by it.

    The label window of the last cutoff ends on the snapshot day, so every label is observed.

    Returns
    -------
    list of Timestamp, oldest first.
    """
    if n_cutoffs < 3:
        raise ValueError(f"the backtest needs at least 3 cutoffs, got {n_cutoffs}")
    snap = pd.Timestamp(snapshot).normalize()
    return [snap - pd.Timedelta(days=horizon_days * k) for k in range(n_cutoffs, 0, -1)]


def active_customers(log: PurchaseLog, cutoff: object, *, active_days: int = ACTIVE_DAYS
                     ) -> np.ndarray:
    """Boolean mask over customer codes: bought on or before ``cutoff``, last time within
    ``active_days`` days of it."""
    c = day_number(cutoff)
    m = log.day <= c
    last = np.full(log.n_customers, np.iinfo(np.int64).min)
    code, day = log.code[m], log.day[m]
    if len(code):
        ends = np.flatnonzero(np.append(code[1:] != code[:-1], True))
        last[code[ends]] = day[ends]
    return last > c - active_days


def churn_labels(log: PurchaseLog, cutoff: object, horizon_days: int, *,
                 active_days: int = ACTIVE_DAYS) -> pd.Series:
    """Churn label of every customer active at ``cutoff``.

    Parameters
    ----------
    log : PurchaseLog
    cutoff : date-like
        The cutoff day (purchases during it belong to the past).
    horizon_days : int
        Label window length, days: churned = no purchase in (cutoff, cutoff + horizon_days].
    active_days : int, default ACTIVE_DAYS
        Activity window defining who is labelled.

    Returns
    -------
    Series of bool named ``churned``, indexed by customer id (sorted).
    """
    c = day_number(cutoff)
    window = (log.day > c) & (log.day <= c + horizon_days)
    bought = np.bincount(log.code[window], minlength=log.n_customers) > 0
    active = active_customers(log, cutoff, active_days=active_days)
    return pd.Series(~bought[active], index=log.customers[active], name="churned")
