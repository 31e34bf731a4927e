"""Seasonality: day-of-week and yearly profiles, and an STL decomposition with strengths.

The decomposition splits weekly revenue into trend, season and remainder with STL (Cleveland et
al. 1990, statsmodels) on the log scale, so a season is a percentage up or down that grows with
the business. The strength of each part follows Wang, Smith & Hyndman (2006), as in Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., section 4.3::

    F_trend  = max(0, 1 - Var(R) / Var(T + R))
    F_season = max(0, 1 - Var(R) / Var(S + R))

0 means the part explains nothing beyond noise, 1 that the remainder is negligible beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from crm_analysis.features.time_units import DAYS_PER_WEEK

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def strength(component: np.ndarray | pd.Series, remainder: np.ndarray | pd.Series) -> float:
    """Strength of a trend or seasonal component: ``max(0, 1 - Var(R) / Var(C + R))``.

    Parameters
    ----------
    component : array
        Trend or seasonal component (same units as the series).
    remainder : array
        Remainder of the decomposition.

    Returns
    -------
    float
        In [0, 1]; NaN when ``C + R`` is constant.
    """
    c, r = np.asarray(component, dtype=float), np.asarray(remainder, dtype=float)
    total = np.var(c + r)
    if not total > 0:
        return float("nan")
    return float(max(0.0, 1.0 - np.var(r) / total))


def strength_words(value: float) -> str:
    """'strong' (>= 0.7), 'moderate' (>= 0.4), 'weak' or 'not measurable' (NaN)."""
    if value is None or not np.isfinite(value):
        return "not measurable"
    return "strong" if value >= 0.7 else "moderate" if value >= 0.4 else "weak"


@dataclass(frozen=True)
class Decomposition:
    """An STL decomposition of a weekly series and the strength of its parts.

    Attributes
    ----------
    frame : DataFrame
        ``period``, ``observed`` (currency), ``trend``, ``season`` and ``remainder``; on the log
        scale when ``log`` (season 0.1 = about 10 % above trend).
    trend_strength, seasonal_strength : float
        Wang-Smith-Hyndman strengths in [0, 1].
    period : int
        Season length in observations (52 weeks).
    log : bool
        Whether the parts are on the log scale (multiplicative decomposition).
    """

    frame: pd.DataFrame
    trend_strength: float
    seasonal_strength: float
    period: int
    log: bool

    def yearly_profile(self) -> pd.DataFrame:
        """The latest year's season by calendar month.

        STL lets the season change slowly from year to year; the last ``period`` observations
        are the pattern that holds now (earlier years can be distorted by a start-up ramp).

        Returns
        -------
        DataFrame
            ``month`` (Jan..Dec, calendar order) and ``effect`` (relative to trend, 0.1 =
            10 % above it).
        """
        season = self.frame.set_index("period")["season"].iloc[-self.period:]
        effect = np.expm1(season) if self.log else season / self.frame["trend"].mean()
        by_month = effect.groupby(effect.index.month).mean()
        by_month = by_month.sort_index()
        return pd.DataFrame({"month": [MONTHS[m - 1] for m in by_month.index],
                             "effect": by_month.to_numpy()})


def decompose(series: pd.Series, *, period: int = 52, log: bool = True,
              robust: bool = False, trend_weeks: int | None = None,
              seasonal_window: int = 13) -> Decomposition:
    """STL decomposition of a regular weekly series into trend, season and remainder.

    Parameters
    ----------
    series : Series
        Values (e.g. revenue in currency per week) indexed by consecutive period starts.
    period : int
        Season length in observations (52 for a yearly season in weekly data, 7 for a weekly
        season in daily data).
    log : bool
        Decompose ``log(y + c)`` (``c`` = 1 % of the mean, so zeros are allowed): seasons and
        remainders become relative, which suits a growing business.
    robust : bool
        Robust STL (outliers go to the remainder instead of bending trend and season). Off by
        default: with two or three years a start-up ramp is then pushed wholly into the
        remainder and the strengths understate a clear season.
    trend_weeks : int, optional
        Trend smoother window (observations, odd, > ``period``); default ``period + 1`` (a
        year for weekly data: the trend follows changes in growth within a year, while a peak
        of a few weeks stays in the season). STL's own default (about 2 periods) is smoother.
    seasonal_window : int
        Seasonal smoother window in seasons (odd, >= 7): each week of the year's effect is a
        weighted mean over about this many years (STL's default is 7).

    Returns
    -------
    Decomposition
        The seasonal strength of pure noise is not 0 but about ``1 / n`` when each week of the
        year's season is a mean over ``n`` years: 0.3-0.4 with three years of data. Read a
        season as real when it is well above that.

    Raises
    ------
    ValueError
        With fewer than two full seasons of data.
    """
    y = series.astype("float64")
    if len(y) < 2 * period:
        raise ValueError(f"STL needs at least {2 * period} observations (two seasons), "
                         f"got {len(y)}")
    values = np.log(y + max(1e-9, 0.01 * float(y.mean()))) if log else y
    window = trend_weeks or period + 1 + (period % 2)
    # seasonal_deg=0: each week of the year is a weighted mean across years. With only two or
    # three years STL's default local line through those few points fits them exactly, leaving
    # no remainder in the first and last year and an inflated season strength.
    fit = STL(values.to_numpy(), period=period, trend=window, seasonal=seasonal_window,
              seasonal_deg=0, robust=robust).fit()
    frame = pd.DataFrame({"period": y.index, "observed": y.to_numpy(), "trend": fit.trend,
                          "season": fit.seasonal, "remainder": fit.resid})
    return Decomposition(frame=frame, trend_strength=strength(fit.trend, fit.resid),
                         seasonal_strength=strength(fit.seasonal, fit.resid),
                         period=period, log=log)


def weekday_profile(daily: pd.Series) -> pd.DataFrame:
    """Demand by day of week relative to the surrounding week (ratio to a 7-day moving average).

    Each day's total is divided by the centred 7-day mean around it, which removes trend and
    yearly season; the ratios are then averaged per weekday.

    Parameters
    ----------
    daily : Series
        Demand per calendar day (e.g. revenue, currency), indexed by consecutive days with
        zeros on days without sales (:meth:`crm_analysis.demand.DailyDemand.series`).

    Returns
    -------
    DataFrame
        ``weekday`` (Monday..Sunday), ``index`` (1.0 = an average day of that week, 1.1 = 10 %
        above) and ``days`` (days averaged).
    """
    daily = daily.astype("float64").iloc[1:-1]  # first and last day may be partial
    ratio = (daily / daily.rolling(DAYS_PER_WEEK, center=True).mean()).dropna()
    ratio = ratio[np.isfinite(ratio)]
    weekday = pd.DatetimeIndex(ratio.index).day_of_week
    grouped = ratio.groupby(weekday).agg(["mean", "size"]).reindex(range(7))
    return pd.DataFrame({"weekday": list(WEEKDAYS), "index": grouped["mean"].to_numpy(),
                         "days": grouped["size"].fillna(0).astype(int).to_numpy()})
