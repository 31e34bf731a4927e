"""The spend models of customer potential: scikit-learn estimators of each customer's spend over
the next horizon, from a feature frame (:func:`crm_analysis.potential.value_frame`).

Two simple rules (:class:`LastPeriodSpend`, :class:`AverageSpendRate`: nothing learned, always
compared) and three models: :class:`BTYDSpend` (BG/NBD x Gamma-Gamma), :class:`TwoStageSpend`
(P(buy) x E[spend | buy], gradient boosting with Duan's smearing) and :class:`BoostedSpend`
(gradient boosting with Poisson deviance). :func:`make_model` builds one by its key in
:data:`MODELS`. The comparison and scoring that use them are in
:mod:`crm_analysis.potential.future_value`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from crm_analysis.columns import require_columns
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.limits import NotEnoughData
from crm_analysis.value import (
    MIN_CUSTOMERS,
    MIN_REPEAT_BUYERS,
    BetaGeo,
    GammaGamma,
    fit_with_fallback,
)

__all__ = ["MODELS", "RULES", "SUMMARY_COLUMNS", "TARGET", "AverageSpendRate", "BTYDSpend",
           "BoostedSpend", "LastPeriodSpend", "TwoStageSpend", "feature_matrix", "make_model",
           "threads_for"]

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
"""BG/NBD summary columns (weeks; spend per repeat purchase day) carried in every value frame."""
TARGET = "target_spend"
MODELS: dict[str, str] = {
    "last_period": "last period's spend (the simple rule)",
    "average_rate": "average spend rate since the first purchase (a simple rule)",
    "btyd": "BG/NBD x Gamma-Gamma",
    "two_stage": "P(buy) x E[spend | buy]",
    "boosted": "gradient boosting (Poisson)",
}
"""Model keys and their names for people; the simple rules first (every model must beat them)."""

RULES: tuple[str, ...] = ("last_period", "average_rate")
"""The simple rules among :data:`MODELS`: nothing learned, always compared."""


def feature_matrix(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    if columns is None:
        columns = [c for c in frame.columns if c != TARGET]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"feature frame lacks column(s) {missing} the model was fitted on")
    return frame[columns].astype(float).fillna(0.0)


# -- the three models --------------------------------------------------------------------------
class _SpendModel(BaseEstimator):
    """Shared shell of the spend models, scikit-learn estimators: ``fit(frame)`` returns self,
    ``clone`` and ``get_params`` work, a prediction before ``fit`` raises scikit-learn's
    ``NotFittedError``, a frame without the columns a model reads raises a ``ValueError``
    (:class:`~crm_analysis.columns.MissingColumnsError`) naming them, and every prediction is a
    numpy float64 array with one value per row of the frame (the value models' rule, see
    :data:`crm_analysis.value._fitting.PREDICTION_RULE`)."""

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "n_customers_")

    def _check_fitted(self) -> None:
        check_is_fitted(self, msg=f"{type(self).__name__} is not fitted yet: call fit(frame) "
                                  "first")

    @staticmethod
    def _require(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> None:
        require_columns(frame.columns, list(columns), table="the feature frame",
                        hint="Build it with crm_analysis.potential.value_frame.")


class BTYDSpend(_SpendModel):
    """BG/NBD x Gamma-Gamma expected spend over the next ``horizon_days``.

    Parameters
    ----------
    horizon_days : int
        Prediction horizon, days.
    random_state : int or None, default 0
        Seed of the extra starting points of the fits.

    Attributes
    ----------
    transaction_model_ : BetaGeo
    spend_model_ : GammaGamma
    n_customers_ : int
    """

    def __init__(self, horizon_days: int = 180, random_state: int | None = 0) -> None:
        self.horizon_days = horizon_days
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame, y=None) -> BTYDSpend:
        """Fit both models on the summary columns of ``frame`` (the target is not used).

        Raises
        ------
        NotEnoughData
            Fewer than ``MIN_REPEAT_BUYERS`` customers bought again (the models learn from them).
        ValueError
            A summary column is missing, or holds negative or missing values (BG/NBD's checks).
        """
        self._require(frame, SUMMARY_COLUMNS)
        repeat = int(((frame["frequency"] > 0) & (frame["monetary_value"] > 0)).sum())
        if repeat < MIN_REPEAT_BUYERS or len(frame) < MIN_CUSTOMERS:
            raise NotEnoughData(f"it needs at least {MIN_CUSTOMERS} customers, "
                                f"{MIN_REPEAT_BUYERS} of whom bought again; the data has "
                                f"{len(frame):,} and {repeat:,}")
        self.transaction_model_ = fit_with_fallback(BetaGeo(random_state=self.random_state),
                                                    frame)
        self.spend_model_ = fit_with_fallback(GammaGamma(random_state=self.random_state), frame)
        self.n_customers_ = len(frame)
        return self

    def _history(self, frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
        self._check_fitted()
        self._require(frame, SUMMARY_COLUMNS)
        return tuple(frame[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))

    def predict_purchases(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected purchase days in the horizon."""
        x, t_x, age = self._history(frame)
        with np.errstate(invalid="ignore", divide="ignore"):  # 2F1 NaNs are repaired inside
            return self.transaction_model_.expected_purchases(
                self.horizon_days / DAYS_PER_WEEK, x, t_x, age)

    def predict_no_purchase(self, frame: pd.DataFrame) -> np.ndarray:
        """P(no purchase in the horizon), BG/NBD."""
        x, t_x, age = self._history(frame)
        return self.transaction_model_.probability_no_purchase(
            self.horizon_days / DAYS_PER_WEEK, x, t_x, age)

    def predict_order_value(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend per purchase day (currency), Gamma-Gamma."""
        x, _t_x, _age = self._history(frame)
        return self.spend_model_.expected_average_spend(
            x, frame["monetary_value"].to_numpy(dtype=float))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend in the horizon, currency units."""
        return self.predict_purchases(frame) * self.predict_order_value(frame)


class _SpendRule(_SpendModel):
    """A simple rule over a horizon (days): nothing is learned. Missing spend counts as 0."""

    reads: tuple[str, ...] = ()
    """Columns of the feature frame the rule reads."""

    def __init__(self, horizon_days: int = 180) -> None:
        self.horizon_days = horizon_days

    def fit(self, frame: pd.DataFrame, y=None) -> _SpendRule:
        """Nothing is learned; checks the columns and records the number of customers."""
        self._require(frame, self.reads)
        self.n_customers_ = len(frame)
        return self

    def _frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        self._require(frame, self.reads)
        return frame


class LastPeriodSpend(_SpendRule):
    """The simple rule: next horizon's spend = the spend of the last horizon (``spend_last_window``
    of the feature frame, whose window is the horizon). Nothing to learn."""

    reads = ("spend_last_window",)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Spend in the last horizon before the frame's cutoff, currency units."""
        return self._frame(frame)["spend_last_window"].fillna(0.0).to_numpy(dtype=float)


class AverageSpendRate(_SpendRule):
    """A simple rule: next horizon's spend = the customer's spend per day since her first
    purchase (at least one horizon, so a new customer's first order is not multiplied up) times
    the horizon. The frequency x monetary rule of RFM, as a spend rate. Nothing to learn."""

    reads = ("tenure_days", "total_spend")

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Total spend / max(days since the first purchase + 1, horizon) x horizon, currency."""
        frame = self._frame(frame)
        days = np.maximum(frame["tenure_days"].to_numpy(dtype=float) + 1, self.horizon_days)
        spend = frame["total_spend"].fillna(0.0).to_numpy(dtype=float)
        return spend / days * self.horizon_days


def _subsample(n: int, max_rows: int | None, random_state) -> np.ndarray:
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


BOOSTING_THREADS = 1
"""OpenMP threads of the boosted models. One: on a shared 2-core machine the per-split thread
synchronisation of scikit-learn's histogram boosting costs more than it saves (6x slower at 3,000
rows, 3x at 200,000 with other jobs running); set to None to use every core on a dedicated one."""


def threads_for(n_rows: int) -> threadpool_limits:
    """Context limiting OpenMP threads to :data:`BOOSTING_THREADS` (``n_rows`` is reserved for
    a size-dependent rule)."""
    return threadpool_limits(limits=BOOSTING_THREADS, user_api="openmp")


def _boosting_settings(random_state, **extra) -> dict:
    return {"max_iter": 200, "learning_rate": 0.08, "max_leaf_nodes": 31,
            "min_samples_leaf": 40, "l2_regularization": 1.0, "early_stopping": True,
            "validation_fraction": 0.15, "n_iter_no_change": 15,
            "random_state": random_state, **extra}


MIN_TRAIN_CUSTOMERS = 200
"""Fewest customers a gradient-boosted model learns from (it holds 15% out to stop early)."""


class _BoostedModel(_SpendModel):
    """Settings of the gradient-boosted models: training rows are capped by a seeded sample."""

    def _check_rows(self, n: int) -> None:
        if n < MIN_TRAIN_CUSTOMERS:
            raise NotEnoughData(f"it needs at least {MIN_TRAIN_CUSTOMERS} customers in its "
                                f"learning window and the data has {n:,}")

    def _target(self, frame: pd.DataFrame, y) -> np.ndarray:
        """The spend to learn (``y``, or the frame's ``target_spend``), refused when missing."""
        if y is None:
            self._require(frame, (TARGET,))
        target = np.asarray(frame[TARGET] if y is None else y, dtype=float)
        if len(target) != len(frame):
            raise ValueError(f"y has {len(target):,} values for {len(frame):,} rows")
        if not np.isfinite(target).all():
            raise ValueError(f"the spend to learn ({TARGET}) has "
                             f"{int((~np.isfinite(target)).sum()):,} missing or infinite "
                             "value(s); a customer who bought nothing has 0")
        return target

    def __init__(self, max_train_rows: int | None = 100_000,
                 random_state: int | None = 0) -> None:
        self.max_train_rows = max_train_rows
        self.random_state = random_state


class TwoStageSpend(_BoostedModel):
    """P(buy in the horizon) x E[spend | buy], both gradient-boosted.

    Parameters
    ----------
    max_train_rows : int or None, default 100_000
        Customers sampled (uniformly, seeded) for fitting on large bases; None uses all.
    random_state : int or None, default 0

    Attributes
    ----------
    classifier_ : HistGradientBoostingClassifier
        P(spend > 0 in the horizon).
    regressor_ : HistGradientBoostingRegressor
        log spend of the buyers.
    smearing_ : float
        Duan's smearing factor, mean(exp(residual)) on the buyers (>= 1).
    feature_names_ : list of str
    n_customers_ : int
    """

    def fit(self, frame: pd.DataFrame, y=None) -> TwoStageSpend:
        """Fit on features of ``frame`` and its ``target_spend`` (or ``y``), currency units."""
        self._check_rows(len(frame))
        target = self._target(frame, y)
        rows = _subsample(len(frame), self.max_train_rows, self.random_state)
        X = feature_matrix(frame.iloc[rows])
        target = target[rows]
        bought = target > 0
        if bought.all() or not bought.any():
            raise NotEnoughData("its learning window needs customers who bought and customers "
                                "who did not")
        self.feature_names_ = list(X.columns)
        log_spend = np.log(target[bought])
        with threads_for(len(X)):
            self.classifier_ = HistGradientBoostingClassifier(
                **_boosting_settings(self.random_state)).fit(X, bought)
            self.regressor_ = HistGradientBoostingRegressor(
                **_boosting_settings(self.random_state)).fit(X[bought], log_spend)
            resid = log_spend - self.regressor_.predict(X[bought])
        self.smearing_ = float(np.mean(np.exp(resid)))
        self.n_customers_ = len(rows)
        return self

    def predict_proba_buy(self, frame: pd.DataFrame) -> np.ndarray:
        """P(at least one purchase in the horizon)."""
        self._check_fitted()
        X = feature_matrix(frame, self.feature_names_)
        with threads_for(len(X)):
            return self.classifier_.predict_proba(X)[:, 1]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend in the horizon, currency units."""
        self._check_fitted()
        X = feature_matrix(frame, self.feature_names_)
        with threads_for(len(X)):
            spend = np.exp(self.regressor_.predict(X)) * self.smearing_
            return self.classifier_.predict_proba(X)[:, 1] * spend


class BoostedSpend(_BoostedModel):
    """One gradient-boosted regressor of spend with Poisson deviance (log link).

    Parameters
    ----------
    max_train_rows : int or None, default 100_000
    random_state : int or None, default 0

    Attributes
    ----------
    regressor_ : HistGradientBoostingRegressor
    feature_names_ : list of str
    n_customers_ : int
    """

    def fit(self, frame: pd.DataFrame, y=None) -> BoostedSpend:
        """Fit on features of ``frame`` and its ``target_spend`` (or ``y``), currency units."""
        self._check_rows(len(frame))
        target = np.clip(self._target(frame, y), 0.0, None)
        rows = _subsample(len(frame), self.max_train_rows, self.random_state)
        X = feature_matrix(frame.iloc[rows])
        target = target[rows]
        if not (target > 0).any():
            raise NotEnoughData("nobody bought in its learning window")
        self.feature_names_ = list(X.columns)
        with threads_for(len(X)):
            self.regressor_ = HistGradientBoostingRegressor(
                **_boosting_settings(self.random_state, loss="poisson")).fit(X, target)
        self.n_customers_ = len(rows)
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Expected spend in the horizon, currency units."""
        self._check_fitted()
        X = feature_matrix(frame, self.feature_names_)
        with threads_for(len(X)):
            return self.regressor_.predict(X)


def make_model(name: str, horizon_days: int, random_state, max_train_rows):
    if name == "last_period":
        return LastPeriodSpend(horizon_days)
    if name == "average_rate":
        return AverageSpendRate(horizon_days)
    if name == "btyd":
        return BTYDSpend(horizon_days, random_state)
    if name == "two_stage":
        return TwoStageSpend(max_train_rows, random_state)
    return BoostedSpend(max_train_rows, random_state)
