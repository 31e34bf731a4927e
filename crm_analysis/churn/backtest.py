"""Rolling-origin backtest of churn models with bootstrap intervals.

Cutoffs c_1 < ... < c_n are spaced by the horizon, the label window of c_k ends at c_(k+1).
For each k >= 2 every model is trained on the labelled rows of c_1 .. c_(k-1) and tested on
c_k: no row of the test cutoff, and no purchase after it, reaches training. The headline is the
latest test cutoff; its metrics carry 95% percentile bootstrap intervals (customers resampled
with replacement; the same resamples for every model, so differences between models are
paired; above 100,000 test rows an m-out-of-n bootstrap on a random subset, rescaled).

The metrics themselves (ROC-AUC, PR-AUC, top-decile lift, Brier score, calibration bands) are
defined in :mod:`crm_analysis.churn.metrics`; which scorer the customers get is decided from the
result by :func:`crm_analysis.churn.choice.choose_model`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import clone

from crm_analysis.churn.features import FeatureSet
from crm_analysis.churn.metrics import (
    METRIC_FUNCTIONS,
    METRICS,
    band_rates,
    bootstrap_weights,
    calibration_bands,
)
from crm_analysis.churn.models import MODEL_LABELS

__all__ = ["BacktestResult", "Evaluation", "backtest", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """Metrics of several models on one test set, with bootstrap samples.

    Attributes
    ----------
    table : DataFrame
        ``model``, ``metric``, ``estimate``, ``lower``, ``upper`` (95% percentile interval).
    samples : dict
        ``(model, metric) -> ndarray (n_bootstrap,)``, paired across models.
    calibration : DataFrame
        :func:`calibration_bands` per model (column ``model``).
    """

    table: pd.DataFrame
    samples: dict[tuple[str, str], np.ndarray]
    calibration: pd.DataFrame


def evaluate(y: ArrayLike, scores: Mapping[str, np.ndarray], *, n_bootstrap: int = 200,
             seed: int | None = 0, n_bins: int = 10, max_rows: int = 100_000) -> Evaluation:
    """All metrics of each model's scores against ``y`` with paired bootstrap intervals.

    Parameters
    ----------
    y : array-like of 0/1, shape (n,)
    scores : mapping of model name to predicted P(churn), shape (n,)
    n_bootstrap : int, default 200
        Resamples; 0 gives point estimates only (NaN intervals).
    seed : int or None
    n_bins : int, default 10
        Equal-width bands of predicted probability in :func:`calibration_bands`.
    max_rows : int, default 100_000
        Larger test sets are resampled m-out-of-n: the bootstrap runs on a seeded random subset
        of ``max_rows`` rows and each resample's deviation from the full-data estimate is scaled
        by sqrt(max_rows / n) (the metrics are smooth, their spread shrinks as 1/sqrt(n)).

    Returns
    -------
    Evaluation
    """
    y = np.asarray(y, float)
    point = {(m, k): f(y, s) for m, s in scores.items() for k, f in METRIC_FUNCTIONS.items()}
    points_cal = {m: calibration_bands(y, s, n_bins=n_bins) for m, s in scores.items()}
    n, scale = len(y), 1.0
    by, bscores = y, scores
    if n > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
        scale = np.sqrt(max_rows / n)
        by, bscores = y[rows], {m: np.asarray(s)[rows] for m, s in scores.items()}
    samples: dict[tuple[str, str], list[np.ndarray]] = {
        (m, k): [] for m in scores for k in METRIC_FUNCTIONS}
    cal_rates: dict[str, list[np.ndarray]] = {m: [] for m in scores}
    if n_bootstrap > 0:
        for w in bootstrap_weights(len(by), n_bootstrap, seed):
            for m, s in bscores.items():
                for k, f in METRIC_FUNCTIONS.items():
                    samples[(m, k)].append(f(by, s, w))
                cal_rates[m].append(band_rates(by, np.asarray(s, float), w, n_bins))
    centre = {key: (METRIC_FUNCTIONS[key[1]](by, bscores[key[0]]) if scale < 1 else point[key])
              for key in samples}
    flat = {key: point[key] + scale * (np.concatenate(v) - centre[key]) if v else np.array([])
            for key, v in samples.items()}
    rows, curves = [], []
    for m in scores:
        for k in METRIC_FUNCTIONS:
            draws = flat[(m, k)]
            lo, hi = (np.nanpercentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan))
            rows.append({"model": m, "metric": k, "estimate": point[(m, k)], "lower": lo,
                         "upper": hi})
        rates = None
        if cal_rates[m]:
            full = points_cal[m].set_index("band")["observed"]
            sub = calibration_bands(by, bscores[m], n_bins=n_bins).set_index("band")["observed"]
            bands = np.arange(n_bins) / n_bins
            f_obs = full.reindex(bands).to_numpy()
            s_obs = sub.reindex(bands).to_numpy()
            rates = f_obs + scale * (np.vstack(cal_rates[m]) - s_obs)
        curves.append(calibration_bands(y, scores[m], n_bins=n_bins, rate_samples=rates)
                      .assign(model=m))
    return Evaluation(pd.DataFrame(rows), flat, pd.concat(curves, ignore_index=True))


@dataclass(frozen=True)
class BacktestResult:
    """What the rolling-origin backtest found.

    Attributes
    ----------
    by_cutoff : DataFrame
        Point estimates per test cutoff: ``test_cutoff``, ``train_cutoffs``, ``model``,
        ``metric``, ``estimate``, plus ``test_rows`` and ``churn_rate``.
    latest : Evaluation
        Metrics with intervals on the latest test cutoff.
    test_cutoff : Timestamp
        The latest test cutoff.
    predictions : DataFrame
        Latest test cutoff: ``customer_id``, ``churned`` and one column per model.
    models : dict
        The models fitted for the latest test cutoff (trained on all earlier cutoffs).
    test_features : DataFrame
        Feature rows of the latest test cutoff (for explanations).
    """

    by_cutoff: pd.DataFrame
    latest: Evaluation
    test_cutoff: pd.Timestamp
    predictions: pd.DataFrame
    models: dict = field(repr=False)
    test_features: pd.DataFrame = field(repr=False)

    def table(self) -> pd.DataFrame:
        """Latest test cutoff, one row per model: each metric (columns named as in
        :data:`METRICS`) as text, its estimate to three decimals with the 95% interval in
        brackets (a reader's table: one column per metric)."""
        t = self.latest.table
        wide = t.pivot(index="model", columns="metric", values=["estimate", "lower", "upper"])
        out = pd.DataFrame(index=wide.index)
        for k, label in METRICS.items():
            out[label] = [f"{est:.3f} ({lo:.3f} to {hi:.3f})" for est, lo, hi in zip(
                wide[("estimate", k)], wide[("lower", k)], wide[("upper", k)], strict=True)]
        order = [m for m in MODEL_LABELS if m in out.index]
        return out.loc[order].rename(index=MODEL_LABELS).rename_axis("model")


def backtest(features: FeatureSet, models: Mapping[str, object], *, n_bootstrap: int = 200,
             seed: int | None = 0) -> BacktestResult:
    """Train on earlier cutoffs, test on each later one; intervals on the latest.

    Parameters
    ----------
    features : FeatureSet
        Panel with at least two labelled cutoffs (the models learn on the earlier ones).
    models : mapping of name to unfitted :class:`~crm_analysis.churn.OutOfTimeCalibrated`
    n_bootstrap : int, default 200
    seed : int or None

    Returns
    -------
    BacktestResult
    """
    panel = features.panel[features.panel["churned"].notna()]
    cutoffs = sorted(panel["cutoff"].unique())
    if len(cutoffs) < 2:
        raise ValueError(f"the backtest needs at least 2 labelled cutoffs, got {len(cutoffs)}")
    names = features.feature_names
    rows, fitted, test, scores = [], {}, None, {}
    for k in range(1, len(cutoffs)):
        train = panel[panel["cutoff"] < cutoffs[k]]
        test = panel[panel["cutoff"] == cutoffs[k]]
        y_test = test["churned"].to_numpy()
        scores = {}
        for name, model in models.items():
            est = clone(model).fit(train[names], train["churned"].to_numpy(),
                                   groups=train["cutoff"].to_numpy())
            scores[name] = est.predict_proba(test[names])[:, 1]
            fitted[name] = est
            for metric, f in METRIC_FUNCTIONS.items():
                rows.append({"test_cutoff": pd.Timestamp(cutoffs[k]), "train_cutoffs": k,
                             "model": name, "metric": metric, "estimate": f(y_test, scores[name]),
                             "test_rows": len(test), "churn_rate": float(y_test.mean())})
    latest = evaluate(test["churned"].to_numpy(), scores, n_bootstrap=n_bootstrap, seed=seed)
    predictions = test[["customer_id", "churned"]].assign(**scores).reset_index(drop=True)
    return BacktestResult(pd.DataFrame(rows), latest, pd.Timestamp(cutoffs[-1]), predictions,
                          fitted, test.set_index("customer_id")[names])
