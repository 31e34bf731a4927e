"""The candidate forecasting methods of the demand report: simple rules and models.

Every method is a small estimator with one API: ``fit(series)`` on complete weeks (index: week
starts; values >= 0, e.g. currency per week) and ``predict(horizon)``, the point forecasts of the
next ``horizon`` weeks as an array in the units of the series. None carries its own prediction
intervals: :mod:`crm_analysis.demand.selection` calibrates the intervals of whichever method
is chosen on that method's backtest errors, the same way for all, so a rule and a model are
compared and shown on equal terms.

Simple rules (what a planner would do by hand):

- ``naive``: every coming week equals the last complete week;
- ``seasonal_naive``: every coming week equals the same week a year before (52 weeks); only a
  candidate when every backtest origin has a year of history;
- ``moving_average``: every coming week equals the mean of the last :data:`MA_WEEKS` weeks.

Models:

- ``theta``: the Theta method (Assimakopoulos & Nikolopoulos 2000; simple exponential smoothing
  with half the linear trend as drift, Hyndman & Billah 2003), from statsmodels, on
  ``log(y + c)``; with two years or more the yearly season is removed first (classical
  decomposition, additive on the log scale, i.e. multiplicative on revenue) and put back;
- ``harmonic``: :class:`~crm_analysis.demand.forecast.HarmonicForecaster` (local linear trend,
  Fourier yearly season with two years or more, AR(1) errors).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from statsmodels.tsa.forecasting.theta import ThetaModel

from crm_analysis.demand.forecast import MIN_FORECAST_WEEKS, HarmonicForecaster

__all__ = ["MA_WEEKS", "METHODS", "Method", "MovingAverage", "Naive", "SeasonalNaive",
           "Theta", "method_label"]

MA_WEEKS = 8
"""Weeks averaged by the moving-average rule."""

SEASON_WEEKS = 52
"""Weeks in the yearly season of the seasonal rules."""


class Naive:
    """Every coming week equals the last complete week."""

    def fit(self, series: pd.Series) -> Naive:
        self.last_ = float(series.iloc[-1])
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.last_)


class SeasonalNaive:
    """Every coming week equals the same week a year (52 weeks) before."""

    def fit(self, series: pd.Series) -> SeasonalNaive:
        if len(series) < SEASON_WEEKS:
            raise ValueError(f"the seasonal rule needs {SEASON_WEEKS} weeks, got {len(series)}")
        self.year_ = series.to_numpy(dtype=float)[-SEASON_WEEKS:]
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return self.year_[np.arange(horizon) % SEASON_WEEKS]


class MovingAverage:
    """Every coming week equals the mean of the last ``weeks`` weeks."""

    def __init__(self, weeks: int = MA_WEEKS) -> None:
        self.weeks = weeks

    def fit(self, series: pd.Series) -> MovingAverage:
        self.mean_ = float(series.iloc[-self.weeks:].mean())
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.mean_)


class Theta:
    """The Theta method on ``log(y + c)`` (module doc); ``c`` is 1 % of the mean week."""

    def fit(self, series: pd.Series) -> Theta:
        y = series.to_numpy(dtype=float)
        self.offset_ = max(1e-9, 0.01 * float(np.mean(y)))
        z = np.log(np.clip(y, 0, None) + self.offset_)
        seasonal = len(y) >= 2 * SEASON_WEEKS
        with warnings.catch_warnings():  # optimiser chatter on flat or short series
            warnings.simplefilter("ignore")
            # a multiplicative season on y is an additive one on log(y + c)
            self.fit_ = ThetaModel(z, period=SEASON_WEEKS if seasonal else 1,
                                   deseasonalize=seasonal, method="additive").fit()
        return self

    def predict(self, horizon: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z = np.asarray(self.fit_.forecast(horizon), dtype=float)
        return np.clip(np.exp(z) - self.offset_, 0, None)


class _Harmonic:
    """Point forecasts of :class:`HarmonicForecaster` (its own intervals are not used)."""

    def __init__(self, settings: HarmonicForecaster | None = None) -> None:
        self.settings = settings

    def fit(self, series: pd.Series) -> _Harmonic:
        self.model_ = replace(self.settings or HarmonicForecaster()).fit(series)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return self.model_.predict(horizon)["forecast"].to_numpy()


@dataclass(frozen=True)
class Method:
    """A candidate: its name, its words for the page, whether it is a simple rule, the fewest
    weeks it fits on, and a factory of fresh estimators (given the harmonic settings)."""

    name: str
    label: str
    rule: bool
    min_weeks: int
    make: Callable[[HarmonicForecaster | None], object]


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("naive", "last week's value", True, 1, lambda _: Naive()),
    Method("seasonal_naive", "the same week last year", True, SEASON_WEEKS,
           lambda _: SeasonalNaive()),
    Method("moving_average", f"the average of the last {MA_WEEKS} weeks", True, MA_WEEKS,
           lambda _: MovingAverage()),
    Method("theta", "exponential smoothing with drift (Theta)", False, MIN_FORECAST_WEEKS,
           lambda _: Theta()),
    Method("harmonic", "trend, yearly season and current level (harmonic regression)", False,
           MIN_FORECAST_WEEKS, _Harmonic),
)}
"""The candidates, simple rules first (a tie in the backtest goes to the simpler method)."""


def method_label(name: str) -> str:
    """The words for a method on the page (its name when unknown)."""
    method = METHODS.get(name)
    return method.label if method else name
