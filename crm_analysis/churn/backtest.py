"""Rolling-origin backtest of churn models with bootstrap intervals.

Cutoffs c_1 < ... < c_n are spaced by the horizon, the label window of c_k ends at c_(k+1).
For each k >= 2 every model is trained on the labelled rows of c_1 .. c_(k-1) and tested on
c_k: no row of the test cutoff, and no purchase after it, reaches training. The headline is the
latest test cutoff; its metrics carry 95% percentile bootstrap intervals (customers resampled
with replacement; the same resamples for every model, so differences between models are
paired; above 100,000 test rows an m-out-of-n bootstrap on a random subset, rescaled).

Metrics (positive class = churned):

- ROC-AUC: probability that a random churner scores above a random stayer (ties count 1/2);
- PR-AUC: average precision, sum over score thresholds of (recall gain x precision);
- top-decile lift: churn rate among the 10% highest scores / overall churn rate (ties at the
  boundary enter pro rata);
- Brier score: mean squared difference of probability and outcome (lower is better);
- calibration curve: observed churn rate per band of predicted probability.

All metrics accept per-row weights (bootstrap counts), evaluated for a block of resamples at once
(a weight matrix of shape (resamples, rows)).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from crm_analysis.churn.features import FeatureSet
from crm_analysis.churn.models import BASELINES, CANDIDATES, MODEL_LABELS

__all__ = ["METRICS", "BacktestResult", "average_precision", "backtest", "bootstrap_weights",
           "brier_score", "calibration_curve", "choose_model", "evaluate", "roc_auc",
           "top_decile_lift"]

METRICS: dict[str, str] = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC",
                           "top_decile_lift": "Top-decile lift", "brier": "Brier score"}


def _as_2d(weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones((1, n))
    w = np.asarray(weights, dtype=float)
    return w.reshape(1, -1) if w.ndim == 1 else w


def _groups(sorted_score: np.ndarray) -> np.ndarray:
    """Start index of each run of tied scores in a sorted score array."""
    return np.flatnonzero(np.concatenate(([True], sorted_score[1:] != sorted_score[:-1])))


def roc_auc(y, score, weights=None) -> np.ndarray | float:
    """ROC-AUC, ties counted 1/2; weighted per row.

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


def average_precision(y, score, weights=None) -> np.ndarray | float:
    """Average precision (PR-AUC) as scikit-learn defines it, tied scores one threshold.

    Parameters and returns as for :func:`roc_auc`.
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


def top_decile_lift(y, score, weights=None, *, share: float = 0.1) -> np.ndarray | float:
    """Churn rate in the top ``share`` of scores divided by the overall churn rate.

    Tied scores at the boundary enter pro rata (with the tie group's churn rate).
    Parameters and returns as for :func:`roc_auc`.
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


def brier_score(y, p, weights=None) -> np.ndarray | float:
    """Weighted mean of (p - y)^2. Parameters and returns as for :func:`roc_auc`."""
    y, p = np.asarray(y, float), np.asarray(p, float)
    w = _as_2d(weights, len(y))
    out = w @ (p - y) ** 2 / w.sum(axis=1)
    return out if np.ndim(weights) == 2 else float(out[0])


_METRIC_FUNCS = {"roc_auc": roc_auc, "pr_auc": average_precision,
                 "top_decile_lift": top_decile_lift, "brier": brier_score}


def bootstrap_weights(n: int, n_bootstrap: int, seed: int | None, *,
                      max_cells: int = 4_000_000) -> Iterator[np.ndarray]:
    """Blocks of bootstrap count weights, each of shape (block, n), ``n_bootstrap`` rows in all.

    Row b counts how often each of the n rows was drawn in resample b (n draws with replacement).
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


def _band_rates(y: np.ndarray, p: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """Observed churn rate per band for each row of bootstrap weights, shape (b, n_bins)."""
    onehot = np.zeros((len(y), n_bins))
    onehot[np.arange(len(y)), _bands(p, n_bins)] = 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ (onehot * y[:, None])) / (weights @ onehot)


def calibration_curve(y, p, *, n_bins: int = 10, weights: np.ndarray | None = None,
                      rate_samples: np.ndarray | None = None) -> pd.DataFrame:
    """Observed churn rate per band of predicted probability (equal-width bands).

    Parameters
    ----------
    y, p : array-like, shape (n,)
        Outcomes (0/1) and predicted probabilities.
    n_bins : int, default 10
    weights : ndarray, shape (b, n), optional
        Bootstrap weights: adds ``lower`` and ``upper`` (2.5% and 97.5% of the observed rate).
    rate_samples : ndarray, shape (b, n_bins), optional
        Bootstrap rates already computed (instead of ``weights``).

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
        rate_samples = _band_rates(y, p, weights, n_bins)
    if rate_samples is not None and len(rate_samples):
        with warnings.catch_warnings():  # an empty band in a resample is NaN, not an error
            warnings.simplefilter("ignore", RuntimeWarning)
            out["lower"] = np.nanpercentile(rate_samples, 2.5, axis=0)
            out["upper"] = np.nanpercentile(rate_samples, 97.5, axis=0)
    return out[out["customers"] > 0].reset_index(drop=True)


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
        :func:`calibration_curve` per model (column ``model``).
    """

    table: pd.DataFrame
    samples: dict[tuple[str, str], np.ndarray]
    calibration: pd.DataFrame


def evaluate(y, scores: Mapping[str, np.ndarray], *, n_bootstrap: int = 200,
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
        Bands of the calibration curve.
    max_rows : int, default 100_000
        Larger test sets are resampled m-out-of-n: the bootstrap runs on a seeded random subset
        of ``max_rows`` rows and each resample's deviation from the full-data estimate is scaled
        by sqrt(max_rows / n) (the metrics are smooth, their spread shrinks as 1/sqrt(n)).

    Returns
    -------
    Evaluation
    """
    y = np.asarray(y, float)
    point = {(m, k): f(y, s) for m, s in scores.items() for k, f in _METRIC_FUNCS.items()}
    points_cal = {m: calibration_curve(y, s, n_bins=n_bins) for m, s in scores.items()}
    n, scale = len(y), 1.0
    by, bscores = y, scores
    if n > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
        scale = np.sqrt(max_rows / n)
        by, bscores = y[rows], {m: np.asarray(s)[rows] for m, s in scores.items()}
    samples: dict[tuple[str, str], list[np.ndarray]] = {
        (m, k): [] for m in scores for k in _METRIC_FUNCS}
    cal_rates: dict[str, list[np.ndarray]] = {m: [] for m in scores}
    if n_bootstrap > 0:
        for w in bootstrap_weights(len(by), n_bootstrap, seed):
            for m, s in bscores.items():
                for k, f in _METRIC_FUNCS.items():
                    samples[(m, k)].append(f(by, s, w))
                cal_rates[m].append(_band_rates(by, np.asarray(s, float), w, n_bins))
    centre = {key: (_METRIC_FUNCS[key[1]](by, bscores[key[0]]) if scale < 1 else point[key])
              for key in samples}
    flat = {key: point[key] + scale * (np.concatenate(v) - centre[key]) if v else np.array([])
            for key, v in samples.items()}
    rows, curves = [], []
    for m in scores:
        for k in _METRIC_FUNCS:
            draws = flat[(m, k)]
            lo, hi = (np.nanpercentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan))
            rows.append({"model": m, "metric": k, "estimate": point[(m, k)], "lower": lo,
                         "upper": hi})
        rates = None
        if cal_rates[m]:
            full = points_cal[m].set_index("band")["observed"]
            sub = calibration_curve(by, bscores[m], n_bins=n_bins).set_index("band")["observed"]
            bands = np.arange(n_bins) / n_bins
            f_obs = full.reindex(bands).to_numpy()
            s_obs = sub.reindex(bands).to_numpy()
            rates = f_obs + scale * (np.vstack(cal_rates[m]) - s_obs)
        curves.append(calibration_curve(y, scores[m], n_bins=n_bins, rate_samples=rates)
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
            for metric, f in _METRIC_FUNCS.items():
                rows.append({"test_cutoff": pd.Timestamp(cutoffs[k]), "train_cutoffs": k,
                             "model": name, "metric": metric, "estimate": f(y_test, scores[name]),
                             "test_rows": len(test), "churn_rate": float(y_test.mean())})
    latest = evaluate(test["churned"].to_numpy(), scores, n_bootstrap=n_bootstrap, seed=seed)
    predictions = test[["customer_id", "churned"]].assign(**scores).reset_index(drop=True)
    return BacktestResult(pd.DataFrame(rows), latest, pd.Timestamp(cutoffs[-1]), predictions,
                          fitted, test.set_index("customer_id")[names])


@dataclass(frozen=True)
class ModelChoice:
    """The chosen scorer (a learned model, or the best simple rule) and why, in words.

    ``beats_baselines`` is True when a learned model was chosen: its lead over every simple
    rule is clear (the 95% paired bootstrap interval of the difference lies above zero).
    ``rule`` names the best simple rule, whether or not it was chosen."""

    name: str
    label: str
    reasoning: str
    beats_baselines: bool
    rule: str = "recency"

    @property
    def is_rule(self) -> bool:
        """Whether the customers are scored by a simple rule."""
        return self.name in BASELINES


def _lead(result: BacktestResult, better: str, worse: str, metric: str
          ) -> tuple[float, float]:
    """95% paired bootstrap interval of ``metric(better) - metric(worse)`` on the latest test
    cutoff (NaN without resamples)."""
    s = result.latest.samples
    diff = s[(better, metric)] - s[(worse, metric)]
    if not len(diff):
        return float("nan"), float("nan")
    lo, hi = np.nanpercentile(diff, [2.5, 97.5])
    return float(lo), float(hi)


def choose_model(result: BacktestResult, *, metric: str = "roc_auc",
                 candidates: tuple[str, ...] = CANDIDATES,
                 rules: tuple[str, ...] = BASELINES) -> ModelChoice:
    """Pick the scorer: a learned model only where it clearly beats the best simple rule.

    First the learned model: the simplest candidate, unless another's lead on ``metric`` is
    clear (the 95% paired bootstrap interval of the difference on the latest test cutoff lies
    above zero). Then the best simple rule (recency alone, BG/NBD P(no purchase)): the highest
    ``metric``. The learned model is chosen only when its lead over that rule is clear; else
    the rule scores the customers.

    Returns
    -------
    ModelChoice
    """
    t = result.latest.table.set_index(["model", "metric"])["estimate"]
    label = METRICS[metric]
    present = [c for c in candidates if (c, metric) in t.index]
    ruled = [r for r in rules if (r, metric) in t.index]
    rule = max(ruled, key=lambda m: t[(m, metric)])
    if not present:
        return ModelChoice(rule, MODEL_LABELS[rule], f"{MODEL_LABELS[rule]} is the best simple "
                           f"rule ({label} {t[(rule, metric)]:.3f}).", False, rule)
    model, best = present[0], max(present, key=lambda m: t[(m, metric)])
    if best != model:
        lo, hi = _lead(result, best, model, metric)
        if lo > 0:
            why = (f"{MODEL_LABELS[best]} has the higher {label} ({t[(best, metric)]:.3f} against "
                   f"{t[(model, metric)]:.3f}), and its lead is clear: the 95% bootstrap interval "
                   f"of the difference is {lo:+.3f} to {hi:+.3f}.")
            model = best
        else:
            why = (f"{MODEL_LABELS[best]} scores a {label} of {t[(best, metric)]:.3f} against "
                   f"{t[(model, metric)]:.3f}, but the 95% bootstrap interval of the difference "
                   f"({lo:+.3f} to {hi:+.3f}) includes zero, so the simpler "
                   f"{MODEL_LABELS[model]} is the learned model.")
    else:
        why = (f"{MODEL_LABELS[model]} has the highest {label} of the learned models "
               f"({t[(model, metric)]:.3f}) and is the simpler one.")
    lo, hi = _lead(result, model, rule, metric)
    rule_words = f"the best simple rule, {MODEL_LABELS[rule]} ({t[(rule, metric)]:.3f})"
    if lo > 0:
        beats = all(_lead(result, model, r, metric)[0] > 0 for r in ruled)
        return ModelChoice(model, MODEL_LABELS[model], f"{why} It beats {rule_words}, clearly: "
                           f"the 95% bootstrap interval of the difference is {lo:+.3f} to "
                           f"{hi:+.3f}.", beats, rule)
    return ModelChoice(rule, MODEL_LABELS[rule], f"{why} It does not beat {rule_words}, by more "
                       f"than chance: the 95% bootstrap interval of the difference is {lo:+.3f} "
                       f"to {hi:+.3f}. The customers are scored by the rule.", False, rule)
