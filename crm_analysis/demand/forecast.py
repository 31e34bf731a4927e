"""The harmonic weekly forecaster, and the error measures its backtest uses.

The model is a dynamic harmonic regression (Hyndman & Athanasopoulos, *Forecasting: Principles
and Practice*, 3rd ed., section 10.5) fitted to ``log(y + c)``:

- a local linear trend: weighted least squares with weights halving every ``halflife_weeks``
  weeks into the past, so the slope is the recent one. How much memory a series needs depends on
  the business, so by default (``halflife_weeks="auto"``) each fit chooses it from
  :data:`HALFLIFE_CANDIDATES` by forecasting the last ``horizon`` weeks of its *own* training
  history (no look-ahead: in the backtest every origin chooses from its training data only);
- a yearly season of ``n_harmonics`` Fourier pairs of the day of the year (only with two years of
  history or more; a small ridge penalty keeps them smooth);
- AR(1) errors: the last residual carries the *recent level* into the forecast and decays by
  ``phi`` per week.

The point forecast is the median ``exp(mu) - c``; the model's own intervals come from the AR(1)
forecast variance on the log scale plus the variance of the extrapolated regression. The report
does not take the model on trust: :mod:`crm_analysis.demand.selection` backtests it against
simple rules and another model, shows it only where it wins, and calibrates the ranges shown on
the backtest errors.

MASE (Hyndman & Koehler 2006) scales absolute errors by the in-sample MAE of the naive rule on
the training data (one season back, 52 weeks, with two years of history; the last week
otherwise): ``MASE < 1`` means a method did better out of sample than that rule did in sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from crm_analysis.features.time_units import DAYS_PER_WEEK, WEEKS_PER_YEAR
from crm_analysis.limits import NotEnoughData

MIN_FORECAST_WEEKS = 8
"""Fewest complete weeks a forecast is fitted on."""

HALFLIFE_CANDIDATES: tuple[float, ...] = (13.0, 26.0, 52.0, 104.0)
"""Trend memories (weeks) that ``halflife_weeks="auto"`` chooses from."""


def baseline_lag(n_weeks: int) -> int:
    """Lag (weeks) of the naive rule that scales MASE for a history of ``n_weeks``: 52 with two
    years, else 1."""
    return 52 if n_weeks >= 104 else 1


def mase_scale(history: np.ndarray, lag: int) -> float:
    """In-sample MAE of the naive rule ``lag`` weeks back: ``mean |y[t] - y[t - lag]|``."""
    y = np.asarray(history, dtype=float)
    if len(y) <= lag:
        raise ValueError(f"need more than {lag} observations to scale errors, got {len(y)}")
    return float(np.mean(np.abs(y[lag:] - y[:-lag])))


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, lag: int) -> float:
    """Mean absolute scaled error of ``forecast`` (Hyndman & Koehler 2006).

    Parameters
    ----------
    actual, forecast : array
        Out-of-sample values and their forecasts (same units).
    history : array
        Training series that defines the scale.
    lag : int
        Weeks back of the scaling naive rule (:func:`baseline_lag`).

    Returns
    -------
    float
        ``mean |actual - forecast| / mean |y[t] - y[t - lag]|`` (unitless).
    """
    err = np.abs(np.asarray(actual, float) - np.asarray(forecast, float))
    return float(np.mean(err) / mase_scale(history, lag))


def _fourier(index: pd.DatetimeIndex, n_harmonics: int) -> np.ndarray:
    """Sine/cosine pairs of the day of the year (mid-week), shape (n, 2 * n_harmonics)."""
    mid = index + pd.Timedelta(days=3)
    phase = 2 * np.pi * (mid.day_of_year.to_numpy() - 1) / 365.25
    k = np.arange(1, n_harmonics + 1)
    return np.column_stack([np.sin(np.outer(phase, k)), np.cos(np.outer(phase, k))])


@dataclass
class HarmonicForecaster:
    """Local linear trend + Fourier yearly season + AR(1) errors on ``log(y + c)`` (module doc).

    Parameters
    ----------
    n_harmonics : int
        Fourier pairs of the yearly season (6 resolves a peak of about a month).
    halflife_weeks : float or "auto"
        Weight half-life of past weeks in the trend fit (weeks); ``"auto"`` chooses it per
        series from :data:`HALFLIFE_CANDIDATES` by the error on the series' last
        ``selection_weeks`` weeks (the chosen value is ``halflife_``).
    selection_weeks : int
        Weeks held out of the training history to choose ``halflife_weeks`` (``"auto"`` only).
    ridge : float
        L2 penalty on the Fourier coefficients (relative to the total weight).
    min_seasonal_weeks : int
        History needed before a yearly season is fitted (weeks).
    levels : sequence of float
        Central prediction-interval levels (0.8 = 80 %).
    """

    n_harmonics: int = 6
    halflife_weeks: float | str = "auto"
    selection_weeks: int = 13
    ridge: float = 0.05
    min_seasonal_weeks: int = 104
    levels: Sequence[float] = (0.8, 0.95)
    coef_: np.ndarray = field(init=False, repr=False)

    def _design(self, index: pd.DatetimeIndex) -> np.ndarray:
        t = ((index - self.origin_) / pd.Timedelta(days=DAYS_PER_WEEK)).to_numpy() / WEEKS_PER_YEAR
        cols = [np.ones(len(index)), t]
        if self.seasonal_:
            cols.append(_fourier(index, self.n_harmonics))
        return np.column_stack(cols)

    def fit(self, series: pd.Series) -> HarmonicForecaster:
        """Fit to a regular weekly series (index: week starts; values >= 0, e.g. currency).

        Returns
        -------
        self
        """
        y = series.to_numpy(dtype=float)
        if len(y) < MIN_FORECAST_WEEKS:
            raise NotEnoughData(f"a forecast needs at least {MIN_FORECAST_WEEKS} complete weeks "
                                f"of history and the data has {len(y)}")
        self.halflife_ = (self._choose_halflife(series) if self.halflife_weeks == "auto"
                          else float(self.halflife_weeks))
        self.index_ = pd.DatetimeIndex(series.index)
        self.origin_ = self.index_[-1]
        self.seasonal_ = len(y) >= self.min_seasonal_weeks and self.n_harmonics > 0
        self.offset_ = max(1e-9, 0.01 * float(np.mean(y)))
        z = np.log(np.clip(y, 0, None) + self.offset_)
        X = self._design(self.index_)
        w = 0.5 ** ((len(y) - 1 - np.arange(len(y))) / self.halflife_)
        penalty = np.full(X.shape[1], self.ridge * w.sum())
        penalty[:2] = 0.0
        inv = np.linalg.inv((X * w[:, None]).T @ X + np.diag(penalty))
        self.coef_ = inv @ ((X * w[:, None]).T @ z)
        resid = z - X @ self.coef_
        phi = float(resid[1:] @ resid[:-1] / max(resid[:-1] @ resid[:-1], 1e-12))
        self.phi_ = float(np.clip(phi, 0.0, 0.95))
        innov = resid[1:] - self.phi_ * resid[:-1]
        self.sigma_ = float(np.sqrt(np.average(innov**2, weights=w[1:])))
        self.last_resid_ = float(resid[-1])
        # sandwich covariance of the weighted fit, inflated for AR(1) errors
        ar = (1 + self.phi_) / (1 - self.phi_)
        self.coef_cov_ = ar * self.sigma_**2 / (1 - self.phi_**2) * (
            inv @ ((X * (w**2)[:, None]).T @ X) @ inv)
        return self

    def _choose_halflife(self, series: pd.Series) -> float:
        """The candidate memory with the smallest absolute error on the held-out last weeks."""
        hold = self.selection_weeks
        if len(series) - hold < max(8, self.min_seasonal_weeks // 2):
            return HALFLIFE_CANDIDATES[1]
        train, test = series.iloc[:-hold], series.to_numpy(dtype=float)[-hold:]
        errors = []
        for halflife in HALFLIFE_CANDIDATES:
            trial = replace(self, halflife_weeks=halflife).fit(train)
            errors.append(np.mean(np.abs(trial.predict(hold)["forecast"].to_numpy() - test)))
        return HALFLIFE_CANDIDATES[int(np.argmin(errors))]

    def predict(self, horizon: int) -> pd.DataFrame:
        """Forecast the next ``horizon`` weeks.

        Returns
        -------
        DataFrame
            ``period`` (week start), ``step`` (1..horizon), ``forecast`` (median, units of the
            series) and ``lower_80``/``upper_80``, ``lower_95``/``upper_95`` (one pair per
            level).
        """
        index = pd.date_range(self.origin_ + pd.Timedelta(days=DAYS_PER_WEEK), periods=horizon,
                              freq=f"{DAYS_PER_WEEK}D")
        h = np.arange(1, horizon + 1)
        X = self._design(index)
        mu = X @ self.coef_ + self.phi_**h * self.last_resid_
        phi2 = self.phi_**2
        var = self.sigma_**2 * (1 - phi2**h) / (1 - phi2)
        var = var + np.einsum("ij,jk,ik->i", X, self.coef_cov_, X)
        out = pd.DataFrame({"period": index, "step": h,
                            "forecast": np.clip(np.exp(mu) - self.offset_, 0, None)})
        for level in self.levels:
            q = norm.ppf(0.5 + level / 2) * np.sqrt(var)
            pct = round(level * 100)
            out[f"lower_{pct}"] = np.clip(np.exp(mu - q) - self.offset_, 0, None)
            out[f"upper_{pct}"] = np.exp(mu + q) - self.offset_
        return out
