"""Churn metrics for bootstrap resamples: every metric takes row weights, a whole block at once.

A bootstrap resample is a vector of counts (how often each test row was drawn); a block of
resamples is a weight matrix of shape (resamples, rows), and every metric here evaluates all its
rows in one pass. With no weights, or a 1-d vector, a metric returns one float; with a 2-d matrix
it returns an array, one value per resample. Positive class = churned (y = 1); scores and
probabilities are P(churn), higher = more likely to churn.

- ROC-AUC (:func:`roc_auc`): probability that a random churner scores above a random stayer
  (ties count 1/2);
- PR-AUC (:func:`average_precision`): sum over score thresholds of (recall gain x precision);
- top-decile lift (:func:`top_decile_lift`): churn rate among the 10% highest scores / overall
  churn rate (ties at the boundary enter pro rata);
- Brier score (:func:`weighted_brier`): mean squared difference of probability and outcome
  (lower is better);
- calibration bands (:func:`calibration_bands`, :func:`band_rates`): observed churn rate per
  equal-width band of predicted probability, with bootstrap intervals.

:data:`METRICS` names the four scalar metrics for tables; :data:`METRIC_FUNCTIONS` maps the same
keys to the functions. :func:`bootstrap_weights` draws the weight matrices.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["METRICS", "METRIC_FUNCTIONS", "average_precision", "band_rates", "bootstrap_weights",
           "calibration_bands", "roc_auc", "top_decile_lift", "weighted_brier"]

METRICS: dict[str, str] = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC",
                           "top_decile_lift": "Top-decile lift", "brier": "Brier score"}
"""Metric key -> label in tables and text."""


def _as_2d(weights: ArrayLike | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones((1, n))
    w = np.asarray(weights, dtype=float)
    return w.reshape(1, -1) if w.ndim == 1 else w


def _groups(sorted_score: np.ndarray) -> np.ndarray:
    """Start index of each run of tied scores in a sorted score array."""
    return np.flatnonzero(np.concatenate(([True], sorted_score[1:] != sorted_score[:-1])))


def roc_auc(y: ArrayLike, score: ArrayLike, weights: ArrayLike | None = None
            ) -> np.ndarray | float:
    """ROC-AUC, ties counted 1/2; weighted per row.

    With 1-d weights (or none) it equals ``sklearn.metrics.roc_auc_score`` with
    ``sample_weight``. Unlike sklearn.metrics.roc_auc_score, this takes a 2-d weight matrix and
    returns one AUC per row of it, handles the binary case only, and returns NaN without a
    warning when ``y`` (or a resample) holds one class only.

    Parameters
    ----------
    y : array-like of 0/1, shape (n,)
    score : array-like, shape (n,)
        Higher = more likely positive.
    weights : array-like, shape (n,) or (b, n), optional
        Row weights (e.g. bootstrap counts); a 2-d array gives one AUC per row of weights.

    Returns
    -------
    float, or ndarray of shape (b,) for 2-d weights.
    """
    y, s = np.asarray(y, float), np.asarray(score, float)
    order = np.argsort(s, kind="mergesort")
    w = _as_2d(weights, len(y))[:, order]
    start = _groups(s[order])
    pos = np.add.reduceat(w * y[order], start, axis=1)
    neg = np.add.reduceat(w * (1.0 - y[order]), start, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    num = np.sum(pos * (below + 0.5 * neg), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / (pos.sum(axis=1) * neg.sum(axis=1))
    return out if np.ndim(weights) == 2 else float(out[0])


def average_precision(y: ArrayLike, score: ArrayLike, weights: ArrayLike | None = None
                      ) -> np.ndarray | float:
    """Average precision (PR-AUC) as scikit-learn defines it, tied scores one threshold.

    With 1-d weights (or none) and at least one churner it equals
    ``sklearn.metrics.average_precision_score`` with ``sample_weight``. Unlike
    sklearn.metrics.average_precision_score, this takes a 2-d weight matrix and returns one value
    per row of it, and returns NaN (not 0.0 with a warning) when ``y`` (or a resample) holds no
    churner. Parameters and returns as for :func:`roc_auc`.
    """
    y, s = np.asarray(y, float), np.asarray(score, float)
    order = np.argsort(-s, kind="mergesort")
    w = _as_2d(weights, len(y))[:, order]
    start = _groups(-s[order])
    tp = np.add.reduceat(w * y[order], start, axis=1)
    fp = np.add.reduceat(w * (1.0 - y[order]), start, axis=1)
    ctp, cfp = np.cumsum(tp, axis=1), np.cumsum(fp, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(ctp + cfp > 0, ctp / (ctp + cfp), 0.0)
        out = np.sum(tp * precision, axis=1) / tp.sum(axis=1)
    return out if np.ndim(weights) == 2 else float(out[0])


def top_decile_lift(y: ArrayLike, score: ArrayLike, weights: ArrayLike | None = None, *,
                    share: float = 0.1) -> np.ndarray | float:
    """Churn rate in the top ``share`` of scores divided by the overall churn rate.

    Tied scores at the boundary enter pro rata (with the tie group's churn rate); ``share`` is a
    fraction of the (weighted) rows, 0.1 = the top decile. Parameters and returns as for
    :func:`roc_auc`.
    """
    y, s = np.asarray(y, float), np.asarray(score, float)
    order = np.argsort(-s, kind="mergesort")
    w = _as_2d(weights, len(y))[:, order]
    start = _groups(-s[order])
    wg = np.add.reduceat(w, start, axis=1)
    pg = np.add.reduceat(w * y[order], start, axis=1)
    total = w.sum(axis=1, keepdims=True)
    target = share * total
    before = np.cumsum(wg, axis=1) - wg
    taken = np.clip(target - before, 0.0, wg)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_top = np.sum(np.where(wg > 0, taken * pg / wg, 0.0), axis=1) / target[:, 0]
        out = rate_top / (pg.sum(axis=1) / total[:, 0])
    return out if np.ndim(weights) == 2 else float(out[0])


def weighted_brier(y: ArrayLike, p: ArrayLike, weights: ArrayLike | None = None
                   ) -> np.ndarray | float:
    """Brier score: the weighted mean of (p - y)^2, in squared probability units (0 to 1).

    Unlike sklearn.metrics.brier_score_loss, this takes a 2-d weight matrix and returns one score
    per row of it, has no ``pos_label`` (``p`` is P(y = 1)) and does not check that ``p`` lies
    in [0, 1]. Parameters and returns as for :func:`roc_auc` (``p`` in place of ``score``).
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    w = _as_2d(weights, len(y))
    out = w @ (p - y) ** 2 / w.sum(axis=1)
    return out if np.ndim(weights) == 2 else float(out[0])


METRIC_FUNCTIONS: dict[str, Callable[..., np.ndarray | float]] = {
    "roc_auc": roc_auc, "pr_auc": average_precision, "top_decile_lift": top_decile_lift,
    "brier": weighted_brier}
"""Metric key (as in :data:`METRICS`) -> function ``f(y, score, weights=None)``."""


def bootstrap_weights(n: int, n_bootstrap: int, seed: int | None, *,
                      max_cells: int = 4_000_000) -> Iterator[np.ndarray]:
    """Blocks of bootstrap count weights, each of shape (block, n), ``n_bootstrap`` rows in all.

    Row b counts how often each of the n rows was drawn in resample b (n draws with replacement).
    A block holds at most ``max_cells`` weights (memory), at least one resample.
    """
    rng = np.random.default_rng(seed)
    block = max(1, min(n_bootstrap, max_cells // max(n, 1)))
    done = 0
    while done < n_bootstrap:
        b = min(block, n_bootstrap - done)
        draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        done += b


def _bands(p: np.ndarray, n_bins: int) -> np.ndarray:
    return np.minimum((np.asarray(p, float) * n_bins).astype(int), n_bins - 1)


def band_rates(y: ArrayLike, p: ArrayLike, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """Observed churn rate per band of predicted probability, one row per row of weights.

    Bands are ``n_bins`` equal-width intervals of [0, 1]; a band with no weight in a resample is
    NaN.

    Parameters
    ----------
    y, p : array-like, shape (n,)
        Outcomes (0/1) and predicted probabilities.
    weights : ndarray, shape (b, n)
        Bootstrap weights.
    n_bins : int

    Returns
    -------
    ndarray of shape (b, n_bins).
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    onehot = np.zeros((len(y), n_bins))
    onehot[np.arange(len(y)), _bands(p, n_bins)] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ (onehot * y[:, None])) / (weights @ onehot)


def calibration_bands(y: ArrayLike, p: ArrayLike, *, n_bins: int = 10,
                      weights: np.ndarray | None = None,
                      rate_samples: np.ndarray | None = None) -> pd.DataFrame:
    """Observed churn rate per band of predicted probability (equal-width bands), as a table.

    Unlike sklearn.calibration.calibration_curve (a tuple of two arrays, 5 bins by default), this
    returns one row per non-empty band with its size and, given bootstrap weights or rates, a 95%
    percentile interval of the observed rate.

    Parameters
    ----------
    y, p : array-like, shape (n,)
        Outcomes (0/1) and predicted probabilities.
    n_bins : int, default 10
    weights : ndarray, shape (b, n), optional
        Bootstrap weights: adds ``lower`` and ``upper`` (2.5% and 97.5% of the observed rate).
    rate_samples : ndarray, shape (b, n_bins), optional
        Bootstrap rates already computed (as by :func:`band_rates`, instead of ``weights``).

    Returns
    -------
    DataFrame with ``band`` (lower edge), ``predicted`` (mean predicted), ``observed`` (churn
    rate), ``customers`` and, with weights, ``lower``, ``upper``; empty bands are left out.
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    band = _bands(p, n_bins)
    count = np.bincount(band, minlength=n_bins)
    out = pd.DataFrame({
        "band": np.arange(n_bins) / n_bins,
        "predicted": np.bincount(band, weights=p, minlength=n_bins) / np.maximum(count, 1),
        "observed": np.bincount(band, weights=y, minlength=n_bins) / np.maximum(count, 1),
        "customers": count,
    })
    if weights is not None:
        rate_samples = band_rates(y, p, weights, n_bins)
    if rate_samples is not None and len(rate_samples):
        with warnings.catch_warnings():  # an empty band in a resample is NaN, not an error
            warnings.simplefilter("ignore", RuntimeWarning)
            out["lower"] = np.nanpercentile(rate_samples, 2.5, axis=0)
            out["upper"] = np.nanpercentile(rate_samples, 97.5, axis=0)
    return out[out["customers"] > 0].reset_index(drop=True)
