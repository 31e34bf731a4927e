"""What drives churn: permutation importance, partial dependence and per-customer reasons.

- Permutation importance (scikit-learn): how much the ROC-AUC on the test cutoff drops when one
  feature's values are shuffled across customers; features that carry the same information
  (e.g. recency and the BG/NBD probability) share their importance, so each looks smaller alone.
- Partial dependence: the average predicted churn probability when every customer is given the
  same value of one feature, over a grid of values.
- Reasons: for each customer and feature, how much the model's log-odds of churn fall when that
  feature alone is set to the typical (median) customer's value. For the logistic model this is
  exactly coefficient x standardised deviation from the median; for gradient boosting it is the
  same local comparison, computed with one batched prediction per feature (never per customer).
  The two or three features with the largest positive effect are the customer's reasons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.inspection import partial_dependence, permutation_importance

from crm_analysis.churn.features import feature_info
from crm_analysis.churn.models import OutOfTimeCalibrated

__all__ = ["feature_importance", "partial_dependence_table", "reason_texts",
           "risk_contributions"]


def _sample(X: pd.DataFrame, max_rows: int | None, random_state: int | None) -> np.ndarray:
    if max_rows is None or len(X) <= max_rows:
        return np.arange(len(X))
    return np.sort(np.random.default_rng(random_state).choice(len(X), max_rows, replace=False))


def feature_importance(model, X: pd.DataFrame, y, *, n_repeats: int = 5,
                       max_rows: int | None = 5_000, random_state: int | None = 0
                       ) -> pd.DataFrame:
    """Permutation importance: drop in ROC-AUC when a feature is shuffled.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba``
    X : DataFrame, shape (n_rows, n_features)
        Test rows (never the training rows).
    y : array-like of 0/1
    n_repeats : int, default 3
        Shuffles per feature.
    max_rows : int or None, default 4000
        Seeded row sample (importance is an average; a sample is enough).
    random_state : int or None

    Returns
    -------
    DataFrame sorted by importance: ``feature``, ``label``, ``group``, ``importance`` (mean AUC
    drop), ``std``.
    """
    rows = _sample(X, max_rows, random_state)
    y = np.asarray(y, dtype=float)[rows]
    result = permutation_importance(model, X.iloc[rows], y, scoring="roc_auc",
                                    n_repeats=n_repeats, random_state=random_state, n_jobs=1)
    info = [feature_info(c) for c in X.columns]
    return (pd.DataFrame({"feature": X.columns, "label": [i.label for i in info],
                          "group": [i.group for i in info],
                          "importance": result.importances_mean, "std": result.importances_std})
            .sort_values("importance", ascending=False, kind="mergesort")
            .reset_index(drop=True))


def partial_dependence_table(model, X: pd.DataFrame, features: Sequence[str], *,
                             max_rows: int | None = 1_000, grid_resolution: int = 20,
                             random_state: int | None = 0) -> pd.DataFrame:
    """Average predicted churn probability over a grid of each feature's values.

    The grid spans the 5th to 95th percentile of the feature (fewer points for features with
    few distinct values).

    Returns
    -------
    DataFrame: ``feature``, ``label``, ``value``, ``churn_probability``.
    """
    sample = X.iloc[_sample(X, max_rows, random_state)]
    frames = []
    for f in features:
        pdp = partial_dependence(model, sample, [f], kind="average", method="brute",
                                 grid_resolution=grid_resolution, response_method="predict_proba")
        frames.append(pd.DataFrame({"feature": f, "label": feature_info(f).label,
                                    "value": pdp["grid_values"][0],
                                    "churn_probability": pdp["average"][0]}))
    return pd.concat(frames, ignore_index=True)


def risk_contributions(model: OutOfTimeCalibrated, X: pd.DataFrame, reference: pd.Series, *,
                       features: Sequence[str] | None = None) -> pd.DataFrame:
    """Log-odds of churn each feature adds against the typical customer's value.

    ``contribution[i, j] = f(x_i) - f(x_i with feature j set to reference[j])`` where ``f`` is
    the model's log-odds (before calibration, which is monotone).

    Parameters
    ----------
    model : OutOfTimeCalibrated
        Fitted.
    X : DataFrame, shape (n_rows, n_features)
    reference : Series
        The typical value of each feature (e.g. the training medians).
    features : sequence of str, optional
        Features to evaluate (default all); others get 0. One batched prediction per feature.

    Returns
    -------
    DataFrame of float, same index and columns as ``X``.
    """
    base = model.log_odds(X)
    out = np.zeros(X.shape, dtype=float)
    work = X.copy()
    for name in features if features is not None else X.columns:
        j = X.columns.get_loc(name)
        saved = work[name].to_numpy(copy=True)
        changed = saved != reference[name]
        if not changed.any():
            continue
        work[name] = float(reference[name])
        out[:, j] = np.where(changed, base - model.log_odds(work), 0.0)
        work[name] = saved
    return pd.DataFrame(out, index=X.index, columns=X.columns)


def _format(values: np.ndarray, decimals: int) -> pd.Series:
    """Numbers as short text, vectorised: whole numbers, ``decimals`` decimals, or percent."""
    if decimals < 0:
        return pd.Series(np.round(values * 100).astype(np.int64)).astype(str) + "%"
    if decimals == 0:
        return pd.Series(np.round(values).astype(np.int64)).astype(str)
    return pd.Series(np.round(values, decimals)).astype(str)


def reason_texts(contributions: pd.DataFrame, X: pd.DataFrame, *, horizon_days: int,
                 reference: pd.Series | None = None, n_reasons: int = 3,
                 min_log_odds: float = 0.05) -> pd.DataFrame:
    """The features that push each customer's churn risk up most, in words.

    Parameters
    ----------
    contributions : DataFrame
        From :func:`risk_contributions`.
    X : DataFrame
        The same rows' feature values (shown in the text).
    horizon_days : int
        Window length named in trend reasons, days.
    reference : Series, optional
        The typical values used for ``contributions``; with it, a feature counts as a reason
        only on its risky side (:attr:`Feature.direction`): "26 orders in total" is never a
        reason even where the model's local effect says so.
    n_reasons : int, default 3
    min_log_odds : float, default 0.05
        Smaller pushes are not reasons (the text stays empty).

    Returns
    -------
    DataFrame indexed like ``X``: ``reason_1`` .. ``reason_n`` (text, "" when none; the first
    is never empty when ``recency_days`` is a feature: without a strong signal it states the days
    since the last purchase) and ``top_reasons`` (the non-empty ones joined by "; "). Features
    that describe who a customer is (:attr:`Feature.actionable` False) are never reasons.
    """
    c = contributions.to_numpy(copy=True)
    values = X.to_numpy(dtype=float)
    c[:, ~np.array([feature_info(col).actionable for col in X.columns], dtype=bool)] = 0.0
    if reference is not None:
        ref = reference.reindex(X.columns).to_numpy(dtype=float)
        sign = np.array([feature_info(col).direction for col in X.columns])
        wrong = (sign != 0) & (np.sign(values - ref) != sign)
        c[wrong] = 0.0
    k = min(n_reasons, c.shape[1])
    top = np.argsort(-c, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(c))[:, None]
    strong = c[rows, top] > min_log_odds
    out = {}
    for r in range(k):
        text = np.full(len(c), "", dtype=object)
        for j, name in enumerate(X.columns):
            hit = strong[:, r] & (top[:, r] == j)
            if not hit.any():
                continue
            info = feature_info(name)
            v = values[hit, j]
            template = info.reason.replace("{w}", str(horizon_days))
            pre, _, post = template.partition("{v}")
            words = (pre + _format(v, info.decimals) + post) if "{v}" in template else \
                pd.Series(template, index=range(len(v)))
            if info.reason_zero is not None:
                words = words.where(v != 0, info.reason_zero.replace("{w}", str(horizon_days)))
            text[hit] = words.to_numpy(dtype=object)
        out[f"reason_{r + 1}"] = text
    frame = pd.DataFrame(out, index=X.index)
    if k and "recency_days" in X.columns:  # no strong signal: say the plain fact that is there
        empty = (frame["reason_1"] == "").to_numpy()
        days = _format(X["recency_days"].to_numpy(dtype=float)[empty], 0)
        frame.loc[empty, "reason_1"] = ("no purchase for " + days + " days").to_numpy(object)
    joined = frame.iloc[:, 0].astype(str)
    for r in range(1, k):
        col = frame.iloc[:, r].astype(str)
        joined = joined.where(col == "", joined + "; " + col)
    frame["top_reasons"] = joined
    return frame
