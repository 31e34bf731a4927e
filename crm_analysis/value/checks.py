"""Checks of a fitted purchase model on a time-based holdout, as DataFrames (plots in ``plots``).

The model is fitted on the calibration period (up to ``calibration_end``) and asked to predict the
holdout period (``calibration_end``, ``observation_end``], which it has not seen. The checks are
those of Fader, Hardie & Lee (2005, figures 2-4) and lifetimes' plotting module:

- :func:`holdout_by_frequency`: mean predicted vs actual holdout purchases by calibration
  frequency (conditional expectations, FHL 2005 fig. 4);
- :func:`period_transactions`: how many customers made 0, 1, ..., 7+ repeat purchases in the
  calibration period, actual vs the model's expectation for customers of the same ages (fig. 2);
- :func:`tracking`: weekly and cumulative repeat purchases of the calibration customers over the
  whole period, actual vs expected (fig. 3);
- :func:`holdout_accuracy`: per-customer mean absolute error and the relative error of the total,
  as a :class:`HoldoutAccuracy` (with the actual and predicted totals).

Units: the models are fitted on summaries in days / ``time_scaler`` (7: weeks); transaction
dates are counted in calendar days, inclusive of the day ``calibration_end``/``observation_end``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from crm_analysis.features.time_units import DAYS_PER_WEEK

__all__ = [
    "HoldoutAccuracy",
    "holdout_accuracy",
    "holdout_by_frequency",
    "holdout_predictions",
    "period_transactions",
    "tracking",
]


def _bucket_labels(values: np.ndarray, top: int) -> pd.Categorical:
    """Integer counts as the labels "0", "1", ..., f"{top}+"."""
    labels = [str(k) for k in range(top)] + [f"{top}+"]
    return pd.Categorical.from_codes(np.minimum(values, top).astype(np.int64), labels)


def holdout_predictions(models: Mapping[str, object], cal_hold: pd.DataFrame) -> pd.DataFrame:
    """Each customer's actual and predicted number of holdout purchases.

    Parameters
    ----------
    models : mapping of name to fitted model
        E.g. ``{"BG/NBD": bg, "Pareto/NBD": pnbd}``, fitted on the calibration summary; each
        provides ``expected_purchases(t, frequency, recency, T)``.
    cal_hold : DataFrame
        From :func:`crm_analysis.features.calibration_holdout` (same time unit as the fits):
        ``frequency``, ``recency``, ``T``, ``frequency_holdout``, ``duration_holdout``.

    Returns
    -------
    DataFrame
        Indexed like ``cal_hold``: ``frequency`` (calibration repeat purchases), ``actual``
        (holdout purchase periods) and one column of expected holdout purchases per model.
    """
    x = cal_hold["frequency"].to_numpy(dtype=float)
    t_x = cal_hold["recency"].to_numpy(dtype=float)
    age = cal_hold["T"].to_numpy(dtype=float)
    t = cal_hold["duration_holdout"].to_numpy(dtype=float)
    out = pd.DataFrame({"frequency": cal_hold["frequency"].astype("int64"),
                        "actual": cal_hold["frequency_holdout"].astype("float64")},
                       index=cal_hold.index)
    for name, model in models.items():
        out[name] = model.expected_purchases(t, x, t_x, age)
    return out


def holdout_by_frequency(predictions: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency 0..7+.

    Parameters
    ----------
    predictions : DataFrame
        From :func:`holdout_predictions`.
    max_frequency : int, default 7
        Customers with this many calibration repeat purchases or more share the last group.

    Returns
    -------
    DataFrame
        ``calibration_frequency`` (label "0".."7+"), ``customers`` and the mean of ``actual``
        and of each model column (purchases per customer in the holdout).
    """
    value_cols = [c for c in predictions.columns if c != "frequency"]
    bucket = _bucket_labels(predictions["frequency"].to_numpy(), max_frequency)
    grouped = predictions[value_cols].groupby(bucket, observed=False)
    out = grouped.mean().assign(customers=grouped.size())
    return (out[["customers", *value_cols]].rename_axis("calibration_frequency")
            .reset_index())


@dataclass(frozen=True)
class HoldoutAccuracy:
    """A model's holdout predictions set against what happened: the totals and the errors.

    Returned by :func:`holdout_accuracy`; compare two of them (a model and the simple rate rule) by
    ``mae``.

    Attributes
    ----------
    customers : int
        Customers in the check (all who bought by the end of calibration).
    actual_total, predicted_total : float
        Holdout repeat purchases (purchase days), actual and expected.
    mae : float
        Mean absolute error per customer, purchases.
    total_error : float
        Relative error of the total, (predicted - actual) / actual; negative = under-forecast.
    """

    customers: int
    actual_total: float
    predicted_total: float
    mae: float
    total_error: float

    def as_dict(self) -> dict[str, float]:
        """The fields as a plain dictionary."""
        return asdict(self)


def holdout_accuracy(predictions: pd.DataFrame, model: str) -> HoldoutAccuracy:
    """Per-customer MAE and relative error of the total for one model column.

    Parameters
    ----------
    predictions : DataFrame
        From :func:`holdout_predictions`.
    model : str
        Name of the model column.

    Returns
    -------
    HoldoutAccuracy
    """
    actual = predictions["actual"].to_numpy(dtype=float)
    predicted = predictions[model].to_numpy(dtype=float)
    total_a, total_p = float(actual.sum()), float(predicted.sum())
    return HoldoutAccuracy(
        customers=len(actual), actual_total=total_a, predicted_total=total_p,
        mae=float(np.abs(predicted - actual).mean()) if len(actual) else float("nan"),
        total_error=(total_p - total_a) / total_a if total_a > 0 else float("nan"),
    )


def period_transactions(model, summary: pd.DataFrame, max_repeat: int = 7) -> pd.DataFrame:
    """Customers with 0, 1, ..., 7+ repeat purchases: actual vs expected by the model.

    The expectation sums, over customers, the model's P(X(T) = x) for a new customer observed
    for her own age T (FHL 2005 eq. 8), so the mix of young and old customers is respected.
    P(X(T) = x) is computed once per distinct age (at most one per day of history), not per
    customer.

    Parameters
    ----------
    model : BetaGeo or ParetoNBD
        Fitted on ``summary``; provides ``purchase_count_distribution(t, n_max)``.
    summary : DataFrame
        ``frequency`` and ``T`` per customer (the fit's time unit).
    max_repeat : int, default 7
        The last group holds ``max_repeat`` or more repeat purchases.

    Returns
    -------
    DataFrame
        ``repeat_purchases`` (label "0".."7+"), ``actual`` and ``expected`` (customers).
    """
    ages, counts = np.unique(summary["T"].to_numpy(dtype=float), return_counts=True)
    probs = np.array([model.purchase_count_distribution(float(t), max_repeat - 1)
                      for t in ages])  # one row per distinct age (hundreds), not per customer
    probs = probs.reshape(len(ages), max_repeat)
    tail = np.clip(1.0 - probs.sum(axis=1, keepdims=True), 0.0, 1.0)
    expected = counts @ np.hstack([probs, tail]) if len(ages) else np.zeros(max_repeat + 1)
    actual = np.bincount(np.minimum(summary["frequency"].to_numpy(dtype=np.int64), max_repeat),
                         minlength=max_repeat + 1)
    labels = _bucket_labels(np.arange(max_repeat + 1), max_repeat)
    return pd.DataFrame({"repeat_purchases": labels, "actual": actual.astype(float),
                         "expected": expected})


def tracking(
    model,
    daily: pd.DataFrame,
    *,
    calibration_end: object,
    time_scaler: float = DAYS_PER_WEEK,
) -> pd.DataFrame:
    """Weekly and cumulative repeat purchases of the calibration customers, actual vs expected.

    The expected cumulative count on day d is ``sum_c n_c E[X((d - c) / time_scaler)]`` over
    first-purchase days c with n_c new customers, with E[X(t)] the model's
    ``expected_purchases_new`` (FHL 2005 eq. 7): a convolution of the daily cohort sizes with the
    model curve, so no loop over customers or days. Weeks are 7-day blocks ending on
    ``calibration_end`` (so the holdout starts on a week boundary); the first and last block may
    be shorter.

    Parameters
    ----------
    model : BetaGeo or ParetoNBD
        Fitted on the calibration summary in days / ``time_scaler``.
    daily : DataFrame
        :func:`crm_analysis.features.daily_repeat_purchases` with ``cohort_end=calibration_end``:
        one row per day, ``new_customers`` and ``repeat_purchases``.
    calibration_end : date-like
        Last day of calibration (inclusive).
    time_scaler : float, default 7.0
        Days per time unit of the model (7: weeks).

    Returns
    -------
    DataFrame
        One row per week: ``week_end`` (timestamp of the block's last day), ``period``
        ("calibration" or "holdout"), ``actual``, ``expected`` (repeat purchases in the week),
        ``actual_cumulative`` and ``expected_cumulative``.
    """
    cal_end = pd.Timestamp(calibration_end).normalize()
    days = pd.DatetimeIndex(daily.index)
    span = len(days)
    cohorts = daily["new_customers"].to_numpy(dtype=float)
    actual_daily = daily["repeat_purchases"].to_numpy(dtype=float)
    curve = model.expected_purchases_new(np.arange(span) / time_scaler)
    expected_cum = np.convolve(cohorts, curve)[:span]

    cal_pos = int((cal_end - days[0]).days)
    week = (np.arange(span) - cal_pos + DAYS_PER_WEEK - 1) // DAYS_PER_WEEK  # 0: to cal_end
    week_codes, week_pos = np.unique(week, return_index=True)
    last_pos = np.concatenate((week_pos[1:] - 1, [span - 1]))
    actual_cum = np.cumsum(actual_daily)[last_pos]
    exp_cum = expected_cum[last_pos]
    return pd.DataFrame({
        "week_end": days[last_pos],
        "period": np.where(week_codes <= 0, "calibration", "holdout"),
        "actual": np.diff(actual_cum, prepend=0.0),
        "expected": np.diff(exp_cum, prepend=0.0),
        "actual_cumulative": actual_cum,
        "expected_cumulative": exp_cum,
    })
