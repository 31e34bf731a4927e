"""Time units of customer summaries: the one definition of a week, and the unit carried on the
data.

A buy-till-you-die model has no unit of its own: its rates are per period of the summary it was
fitted on. :func:`~crm_analysis.features.rfm_summary` writes the length of its period, in days,
into the summary's ``attrs`` (:data:`PERIOD_ATTR`); the models keep it at ``fit``
(``period_days_``), and :func:`same_period` refuses a summary in another unit instead of
returning values off by the ratio of the units (a model fitted in weeks, given days, would
predict a seventh of the purchases).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["DAYS_PER_WEEK", "DAYS_PER_YEAR", "PERIOD_ATTR", "WEEKS_PER_YEAR", "period_days",
           "period_of", "same_period", "with_period"]

DAYS_PER_WEEK = 7
"""Days in a week: the only place the number is written."""
DAYS_PER_YEAR = 365.25
"""Days in an average year (leap years included)."""
WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK
"""About 52.18."""
PERIOD_ATTR = "period_days"
"""Key in ``DataFrame.attrs`` of a summary: the length of its time unit in days (7.0 for
weeks)."""

_UNIT_DAYS = {"W": float(DAYS_PER_WEEK), "D": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400,
              "ms": 1 / 86_400_000, "us": 1 / 86_400_000_000}
"""numpy datetime units of fixed length; months and years vary and are not recorded."""


def period_days(time_unit: str, time_scaler: float) -> float | None:
    """Length in days of the period of a summary made with ``time_unit`` and ``time_scaler``;
    None for a unit of varying length (months, years), whose summaries carry no unit.

    Examples
    --------
    >>> period_days("D", DAYS_PER_WEEK), period_days("h", 1.0) * 24, period_days("M", 1.0)
    (7.0, 1.0, None)
    """
    days = _UNIT_DAYS.get(time_unit)
    return None if days is None else days * float(time_scaler)


def with_period(frame: pd.DataFrame, days: float | None) -> pd.DataFrame:
    """``frame`` with its period length recorded, when it is known (in place; returned for
    chaining)."""
    if days is not None:
        frame.attrs[PERIOD_ATTR] = float(days)
    return frame


def period_of(frame: object) -> float | None:
    """The period length in days recorded on a summary, or None (arrays, an older file)."""
    attrs = getattr(frame, "attrs", None) or {}
    value = attrs.get(PERIOD_ATTR)
    return None if value is None else float(value)


def _words(days: float) -> str:
    if abs(days - DAYS_PER_WEEK) < 1e-9:
        return "weeks (7 days)"
    if abs(days - 1.0) < 1e-9:
        return "days"
    return f"periods of {days:g} days"


def same_period(fitted_days: float | None, frame: object, *, model: str) -> None:
    """Raise when ``frame`` is a summary in another time unit than the one ``model`` was fitted
    on; nothing to check when either unit is unknown.

    Raises
    ------
    ValueError
        Naming both units and how to make them agree.
    """
    given = period_of(frame)
    if fitted_days is None or given is None:
        return
    if abs(given - fitted_days) > 1e-9 * max(given, fitted_days):
        raise ValueError(
            f"{model} was fitted on a summary in {_words(fitted_days)}, but this summary is in "
            f"{_words(given)}: make both with the same time_unit and time_scaler "
            "(rfm_summary), or refit the model")
