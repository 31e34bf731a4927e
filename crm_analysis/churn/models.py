"""Churn classifiers: two baselines, two models, and time-respecting probability calibration.

==========  =============================================================================
name        what
==========  =============================================================================
recency     baseline: logistic regression on log(1 + days since the last purchase) alone
bgnbd       baseline: the BG/NBD P(no purchase in the horizon), fitted at each cutoff on the
            purchases up to it (no training on labels, no calibration)
logistic    L2-regularised logistic regression on standardised features: counts, days and
            money as sign(x) log(1 + |x|), probabilities as log-odds
gbm         histogram gradient boosting (scikit-learn), early stopping on a 10% validation split
==========  =============================================================================

Every model is wrapped in :class:`OutOfTimeCalibrated`: the wrapped model is fitted on all
training cutoffs but the last, its predictions for the last training cutoff (one step ahead, as
in use) fit a calibration map, and the model is then refitted on all training cutoffs and
passed through that map. The map corrects the level a one-step-ahead forecast is typically off
by; Platt scaling (``"sigmoid"``, default) is monotone, so the ranking (ROC-AUC) is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import logit
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

__all__ = ["BASELINES", "CANDIDATES", "MODEL_LABELS", "ColumnScore", "OutOfTimeCalibrated",
           "SignedLog", "make_models"]

MODEL_LABELS: dict[str, str] = {
    "recency": "Baseline: recency alone",
    "bgnbd": "Baseline: BG/NBD P(no purchase)",
    "logistic": "Logistic regression (L2)",
    "gbm": "Gradient boosting",
}
PROBABILITY_FEATURES: frozenset[str] = frozenset({"bgnbd_p_no_purchase"})
"""Features on the probability scale: the logistic model sees their log-odds."""
BASELINES: tuple[str, ...] = ("recency", "bgnbd")
CANDIDATES: tuple[str, ...] = ("logistic", "gbm")
"""The models a winner is chosen from, simplest first."""

_EPS = 1e-6
_THREADED_ROWS = 100_000
"""Below this many rows fits and predictions run on one thread: on a shared 2-core machine,
OpenMP/BLAS threads on small data cost 3-5x more than they save."""


def _threads(n_rows: int) -> threadpool_limits:
    return threadpool_limits(limits=1 if n_rows < _THREADED_ROWS else None)


class LogitProbability(TransformerMixin, BaseEstimator):
    """``log(p / (1 - p))`` of probability columns (clipped to [1e-6, 1 - 1e-6])."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return logit(np.clip(np.asarray(X, dtype=float), _EPS, 1 - _EPS))

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features, dtype=object)


class SignedLog(TransformerMixin, BaseEstimator):
    """``sign(x) * log(1 + |x|)``: tames heavy tails (spend, counts, days) before scaling."""

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        x = np.asarray(X, dtype=float)
        return np.sign(x) * np.log1p(np.abs(x))

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features, dtype=object)


class ColumnScore(ClassifierMixin, BaseEstimator):
    """A "model" whose churn probability is one feature column (e.g. a BG/NBD probability).

    A frame without the column, or with missing values or values outside [0, 1] in it, is
    refused with a ``ValueError``; a prediction before ``fit`` raises ``NotFittedError``.

    Parameters
    ----------
    column : str
        Feature column holding P(churn) in [0, 1].
    """

    def __init__(self, column: str = "bgnbd_p_no_purchase") -> None:
        self.column = column

    def _probability(self, X: pd.DataFrame) -> np.ndarray:
        if self.column not in X.columns:
            raise ValueError(f"feature {self.column!r} is missing; found {list(X.columns)}")
        p = X[self.column].to_numpy(dtype=float)
        bad = ~((p >= -_EPS) & (p <= 1 + _EPS))  # NaN included
        if bad.any():
            raise ValueError(f"feature {self.column!r} must be a probability in [0, 1]: "
                             f"{int(bad.sum()):,} value(s) are missing or outside")
        return p

    def fit(self, X: pd.DataFrame, y=None) -> ColumnScore:
        """Check the column (present, probabilities); nothing is learned."""
        self._probability(X)
        self.classes_ = np.array([0.0, 1.0])
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns P(stay), P(churn), shape (n_rows, 2)."""
        check_is_fitted(self, "classes_")
        p = np.clip(self._probability(X), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1.0 where P(churn) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(float)


def _fit_map(method: str, p: np.ndarray, y: np.ndarray):
    if method == "sigmoid":
        z = logit(np.clip(p, _EPS, 1 - _EPS)).reshape(-1, 1)
        return LogisticRegression(C=1e6, max_iter=1000).fit(z, y)
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    raise ValueError(f"calibration method must be 'sigmoid', 'isotonic' or None, got {method!r}")


def _apply_map(method: str, mapping, p: np.ndarray) -> np.ndarray:
    if method == "sigmoid":
        return mapping.predict_proba(logit(np.clip(p, _EPS, 1 - _EPS)).reshape(-1, 1))[:, 1]
    return mapping.predict(p)


class OutOfTimeCalibrated(ClassifierMixin, BaseEstimator):
    """A classifier refitted on all training cutoffs, calibrated on its one-step-ahead error.

    Parameters
    ----------
    estimator : classifier
        Unfitted scikit-learn classifier with ``predict_proba`` (cloned, never changed).
    method : {"sigmoid", "isotonic"} or None, default "sigmoid"
        Calibration map learned on the last training cutoff; ``None`` keeps raw probabilities.
    max_train_rows : int or None, default 100_000
        Each fit uses at most this many rows (a seeded uniform sample); None uses all.
    random_state : int or None, default 0
        Seed of the row sample.

    Attributes
    ----------
    estimator_ : classifier
        Fitted on all training rows (or their sample).
    calibrator_ : object or None
        The calibration map; None when ``method`` is None or only one cutoff was given.
    classes_ : ndarray, [0., 1.]
    """

    def __init__(self, estimator=None, method: str | None = "sigmoid",
                 max_train_rows: int | None = 100_000, random_state: int | None = 0) -> None:
        self.estimator = estimator
        self.method = method
        self.max_train_rows = max_train_rows
        self.random_state = random_state

    def _sample(self, mask: np.ndarray, salt: int) -> np.ndarray:
        rows = np.flatnonzero(mask)
        if self.max_train_rows is None or len(rows) <= self.max_train_rows:
            return rows
        rng = np.random.default_rng(None if self.random_state is None
                                    else [self.random_state, salt])
        return np.sort(rng.choice(rows, self.max_train_rows, replace=False))

    def fit(self, X: pd.DataFrame, y, *, groups=None) -> OutOfTimeCalibrated:
        """Fit on all rows; learn the calibration map out of time.

        Parameters
        ----------
        X : DataFrame, shape (n_rows, n_features)
        y : array-like of 0/1, shape (n_rows,)
            1 = churned.
        groups : array-like, shape (n_rows,), optional
            Cutoff of each row (sortable); the latest cutoff calibrates. Without it, or with one
            cutoff, the model is not calibrated.
        """
        with _threads(len(X)):
            return self._fit(X, np.asarray(y, dtype=float), groups)

    def _fit(self, X: pd.DataFrame, y: np.ndarray, groups) -> OutOfTimeCalibrated:
        if len(y) != len(X):
            raise ValueError(f"y has {len(y):,} labels for {len(X):,} rows")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("y must hold 0 (stayed) and 1 (churned) only: "
                             f"{int((~np.isin(y, (0.0, 1.0))).sum()):,} label(s) are missing "
                             "or other values")
        if len(np.unique(y)) < 2:
            raise ValueError("training labels hold one class only: nobody (or everybody) churned")
        self.classes_ = np.array([0.0, 1.0])
        self.n_features_in_ = X.shape[1]
        self.calibrator_ = None
        if groups is not None and self.method is not None:
            groups = np.asarray(groups)
            last = groups == np.max(groups)
            if (~last).any() and len(np.unique(y[last])) == 2 and len(np.unique(y[~last])) == 2:
                early = self._sample(~last, 1)
                base = clone(self.estimator).fit(X.iloc[early], y[early])
                cal = self._sample(last, 2)
                raw = base.predict_proba(X.iloc[cal])[:, 1]
                self.calibrator_ = _fit_map(self.method, raw, y[cal])
        rows = self._sample(np.ones(len(y), dtype=bool), 0)
        self.estimator_ = clone(self.estimator).fit(X.iloc[rows], y[rows])
        return self

    def raw_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(churn) of the wrapped model before calibration, shape (n_rows,)."""
        check_is_fitted(self, "estimator_")
        with _threads(len(X)):
            return self.estimator_.predict_proba(X)[:, 1]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns P(stay), P(churn) after calibration, shape (n_rows, 2)."""
        p = self.raw_proba(X)
        if self.calibrator_ is not None:
            p = np.clip(_apply_map(self.method, self.calibrator_, p), 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1.0 where the calibrated P(churn) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(float)

    def log_odds(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of churn of the wrapped model (before calibration), shape (n_rows,)."""
        return logit(np.clip(self.raw_proba(X), _EPS, 1 - _EPS))


def make_models(
    feature_names: Sequence[str],
    *,
    random_state: int | None = 0,
    calibration: str | None = "sigmoid",
    max_train_rows: int | None = 100_000,
) -> dict[str, OutOfTimeCalibrated]:
    """The baselines and candidate models, unfitted, by name (see :data:`MODEL_LABELS`).

    Parameters
    ----------
    feature_names : sequence of str
        Feature columns; the BG/NBD baseline is included only if ``bgnbd_p_no_purchase`` is.
    random_state : int or None
        Seed of gradient boosting and of the training-row samples.
    calibration : {"sigmoid", "isotonic"} or None
        Calibration of the trained models (the BG/NBD baseline is never recalibrated).
    max_train_rows : int or None
        Row cap per fit of gradient boosting (see :class:`OutOfTimeCalibrated`); the linear
        models use half of it.

    Returns
    -------
    dict of str to OutOfTimeCalibrated
    """
    def wrap(est, method=calibration, rows=max_train_rows):
        return OutOfTimeCalibrated(est, method=method, max_train_rows=rows,
                                   random_state=random_state)

    # a linear model with a few dozen coefficients needs far fewer rows than the trees
    linear_rows = None if max_train_rows is None else max(max_train_rows // 2, 1)

    recency = Pipeline([
        ("pick", ColumnTransformer([("recency", SignedLog(), ["recency_days"])])),
        ("clf", LogisticRegression(max_iter=1000)),
    ])
    probabilities = [c for c in feature_names if c in PROBABILITY_FEATURES]
    others = [c for c in feature_names if c not in PROBABILITY_FEATURES]
    logistic = Pipeline([
        ("transform", ColumnTransformer([("logit", LogitProbability(), probabilities),
                                         ("log", SignedLog(), others)])),
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(C=1.0, max_iter=2000)),
    ])
    gbm = HistGradientBoostingClassifier(
        learning_rate=0.1, max_iter=200, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=True, validation_fraction=0.1,
        n_iter_no_change=10, random_state=random_state)
    models = {"recency": wrap(recency, rows=linear_rows)}
    if "bgnbd_p_no_purchase" in feature_names:
        models["bgnbd"] = wrap(ColumnScore("bgnbd_p_no_purchase"), method=None)
    models["logistic"] = wrap(logistic, rows=linear_rows)
    models["gbm"] = wrap(gbm)
    return models
