"""The holdout check: the purchase models refitted before a cut and scored on the weeks after.

:func:`holdout_split` places the cut (``calibration_end``) so the calibration period is at least as
long as the holdout; :func:`check_on_holdout` refits the models on the calibration period, compares
their predictions with the holdout purchases (:mod:`crm_analysis.value.checks`) and scores the
simple :func:`rate_rule` on the same holdout, the bar a model must clear. Where the check cannot
run it returns the reason in one sentence instead.

Units: the models are fitted in weeks (days / 7); dates are calendar days, the snapshot and
``calibration_end`` inclusive. The holdout needs at least :data:`MIN_HOLDOUT_WEEKS` weeks, so the
history must span twice that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis import features
from crm_analysis.engines import EngineConfig
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.markup import Markup, join, md
from crm_analysis.value.checks import (
    HoldoutAccuracy,
    holdout_accuracy,
    holdout_predictions,
    tracking,
)
from crm_analysis.value.fits import Fits, fit_models

__all__ = [
    "MIN_HOLDOUT_WEEKS",
    "HoldoutCheck",
    "HoldoutSplit",
    "check_on_holdout",
    "holdout_split",
    "rate_rule",
]

MIN_HOLDOUT_WEEKS = 4
"""Shortest holdout worth checking the models on; the calibration period before it is at least
as long, so the history must span twice this."""


@dataclass(frozen=True)
class HoldoutSplit:
    """Where calibration ends: ``calibration_end`` (inclusive day) and the holdout length."""

    calibration_end: pd.Timestamp
    holdout_weeks: int
    shortened: bool


def holdout_split(first_purchase: object, as_of: object, holdout_weeks: int) -> HoldoutSplit:
    """Calibration end ``holdout_weeks`` before ``as_of``, shortened for short histories.

    The holdout is shortened (to whole weeks) so that the calibration period is at least as long
    as the holdout: a model fitted on a few weeks says little about a year.

    Parameters
    ----------
    first_purchase : date-like
        Earliest order date.
    as_of : date-like
        Snapshot day (end of the holdout, inclusive).
    holdout_weeks : int
        Wanted holdout length in weeks.

    Returns
    -------
    HoldoutSplit
    """
    day = pd.Timestamp(as_of).normalize()
    history_days = (day - pd.Timestamp(first_purchase).normalize()).days + 1
    weeks = min(int(holdout_weeks), history_days // 14)
    if weeks < 1:
        raise ValueError(f"{history_days} day(s) of history: too short for a holdout check")
    return HoldoutSplit(day - pd.Timedelta(weeks=weeks), weeks, weeks < holdout_weeks)


@dataclass
class HoldoutCheck:
    """The purchase models refitted on the calibration period and checked on the holdout.

    Attributes
    ----------
    split : HoldoutSplit
    summary : DataFrame
        :func:`crm_analysis.features.calibration_holdout` in weeks.
    fits : Fits
        The models fitted on the calibration period.
    predictions : DataFrame
        :func:`~crm_analysis.value.holdout_predictions`.
    accuracy : dict
        Model name -> its :class:`~crm_analysis.value.HoldoutAccuracy`, the carrying model
        first.
    weekly : DataFrame
        :func:`~crm_analysis.value.tracking` of the first model, week by week.
    rule : HoldoutAccuracy or None
        The simple rate rule on the same holdout (:func:`rate_rule`): the bar the purchase
        model must clear.
    """

    split: HoldoutSplit
    summary: pd.DataFrame
    fits: Fits
    predictions: pd.DataFrame
    accuracy: dict[str, HoldoutAccuracy]
    weekly: pd.DataFrame
    rule: HoldoutAccuracy | None = None

    @property
    def model_earns_its_place(self) -> bool:
        """Whether the carrying model's per-customer error beats the rate rule's."""
        return self.rule is None or self.carrying.mae < self.rule.mae

    @property
    def carrying(self) -> HoldoutAccuracy:
        """The holdout accuracy of the model that carries the report."""
        return next(iter(self.accuracy.values()))


def rate_rule(cal_hold: pd.DataFrame) -> np.ndarray:
    """The simple rule for holdout purchases: each customer's repeat purchases per week of the
    calibration period, carried over the holdout (``frequency / T x duration_holdout``)."""
    age = np.maximum(cal_hold["T"].to_numpy(dtype=float), 1e-9)
    return (cal_hold["frequency"].to_numpy(dtype=float) / age
            * cal_hold["duration_holdout"].to_numpy(dtype=float))


def check_on_holdout(orders: pd.DataFrame, as_of: pd.Timestamp, holdout_weeks: int,
                     seed: int, monetary_col: str | None = "amount", *,
                     engine: EngineConfig | str | None = None
                     ) -> tuple[HoldoutCheck | None, Markup | None]:
    """Refit the models before the holdout and compare their predictions with what happened.

    Parameters
    ----------
    orders : DataFrame
        The purchases (:attr:`~crm_analysis.value.PurchaseOrders.orders`): ``customer_id``,
        ``order_date`` and ``monetary_col``.
    as_of : Timestamp
        Snapshot day (midnight), the last day of the holdout.
    holdout_weeks : int
        Wanted holdout length in weeks; shortened by :func:`holdout_split`.
    seed : int
        Random state of the model fits.
    monetary_col : str or None
        Amount column; None for a log without amounts.
    engine : EngineConfig or str, optional
        What scans the orders (default pandas).

    Returns
    -------
    (HoldoutCheck, None) or (None, Markup)
        The check, or why it is skipped in one sentence. Never raises on valid purchases.
    """
    first = orders["order_date"].min()
    history_days = (as_of - first.normalize()).days + 1
    if history_days < 2 * MIN_HOLDOUT_WEEKS * DAYS_PER_WEEK:
        return None, md("The holdout check is skipped: it needs {need} weeks of history "
                        "({weeks} to fit and {weeks} to check) and the data spans {days:,} days.",
                        need=2 * MIN_HOLDOUT_WEEKS, weeks=MIN_HOLDOUT_WEEKS, days=history_days)
    split = holdout_split(first, as_of, holdout_weeks)
    if split.holdout_weeks < MIN_HOLDOUT_WEEKS:
        return None, md("The holdout check is skipped: the history allows a holdout of only "
                        "{weeks} weeks.", weeks=split.holdout_weeks)
    cal = features.calibration_holdout(orders, calibration_end=split.calibration_end,
                                       as_of=as_of, time_unit="D",
                                       time_scaler=DAYS_PER_WEEK, monetary_col=monetary_col,
                                       engine=engine)
    fits = fit_models(cal, seed=seed)
    if not fits.transaction:
        return None, md("The holdout check is skipped: no purchase model could be fitted on the "
                        "calibration period up to {end:%d %B %Y}. {notes}",
                        end=split.calibration_end,
                        notes=join((n for n in fits.notes if "Gamma-Gamma" not in n), " "))
    predictions = holdout_predictions(fits.transaction, cal)
    for name in list(fits.transaction):
        if not np.isfinite(predictions[name].to_numpy(dtype=float)).all():
            del fits.transaction[name]
            predictions = predictions.drop(columns=name)
            fits.notes.append(md("{name} is left out of the holdout check: some of its "
                                 "predictions are not finite.", name=name))
    if not fits.transaction:
        return None, md("The holdout check is skipped: the models fitted on the calibration "
                        "period up to {end:%d %B %Y} give no finite predictions.",
                        end=split.calibration_end)
    accuracy = {name: holdout_accuracy(predictions, name) for name in fits.transaction}
    rule = holdout_accuracy(predictions.assign(rule=rate_rule(cal)), "rule")
    daily = features.daily_repeat_purchases(orders, cohort_end=split.calibration_end,
                                            as_of=as_of, engine=engine)
    weekly = tracking(fits.purchases, daily, calibration_end=split.calibration_end,
                      time_scaler=DAYS_PER_WEEK)
    return HoldoutCheck(split, cal, fits, predictions, accuracy, weekly, rule), None
