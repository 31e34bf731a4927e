"""Churn labels at a cutoff, the repeat gaps the horizon is derived from, and the horizon record.

The horizon and the backtest dates themselves are chosen by
:func:`crm_analysis.churn.analysis.plan_windows`, which fits them to the history.

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
from crm_analysis.markup import Markup

__all__ = ["ACTIVE_DAYS", "Horizon", "active_customers", "churn_labels", "repeat_gaps"]

ACTIVE_DAYS = 365
"""Default activity window (days): customers whose last purchase is older are not scored."""


def repeat_gaps(log: PurchaseLog, as_of: object) -> np.ndarray:
    """Days between consecutive purchase days of the same customer, up to ``as_of``.

    Returns
    -------
    ndarray of int64, one gap per repeat purchase day.
    """
    m = log.day <= day_number(as_of)
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


def active_customers(log: PurchaseLog, as_of: object, *, active_days: int = ACTIVE_DAYS
                     ) -> np.ndarray:
    """Boolean mask over customer codes: bought on or before ``as_of``, last time within
    ``active_days`` days of it."""
    c = day_number(as_of)
    m = log.day <= c
    last = np.full(log.n_customers, np.iinfo(np.int64).min)
    code, day = log.code[m], log.day[m]
    if len(code):
        ends = np.flatnonzero(np.append(code[1:] != code[:-1], True))
        last[code[ends]] = day[ends]
    return last > c - active_days


def churn_labels(log: PurchaseLog, as_of: object, horizon_days: int, *,
                 active_days: int = ACTIVE_DAYS) -> pd.Series:
    """Churn label of every customer active at ``as_of``.

    Parameters
    ----------
    log : PurchaseLog
    as_of : date-like
        The as-of day (purchases during it belong to the past).
    horizon_days : int
        Label window length, days: churned = no purchase in (as_of, as_of + horizon_days].
    active_days : int, default ACTIVE_DAYS
        Activity window defining who is labelled.

    Returns
    -------
    Series of bool named ``churned``, indexed by customer id (sorted).
    """
    c = day_number(as_of)
    window = (log.day > c) & (log.day <= c + horizon_days)
    bought = np.bincount(log.code[window], minlength=log.n_customers) > 0
    active = active_customers(log, as_of, active_days=active_days)
    return pd.Series(~bought[active], index=log.customers[active], name="churned")
