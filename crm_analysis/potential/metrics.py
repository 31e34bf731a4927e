"""How well a prediction of next-period spend ranks and sizes customers.

All functions take the actual spend (currency units, >= 0 in practice) and a prediction of it,
as array-likes of equal length, and are vectorised (one sort at most).

- :func:`spearman`: rank correlation of predicted and actual spend.
- :func:`normalised_gini`: the Gini of the actual spend ordered by the prediction, divided by the
  Gini of the actual spend ordered by itself (1 = perfect ranking, 0 = random, < 0 = reversed).
- :func:`top_decile_capture`: the share of next-period revenue that comes from the 10% of
  customers the prediction ranks highest (random ranking: 10%).
- :func:`decile_calibration`: mean predicted against mean actual spend by predicted decile.
- :func:`mae`: mean absolute error per customer (currency units).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

__all__ = ["decile_calibration", "evaluate", "mae", "normalised_gini", "spearman",
           "top_decile_capture", "top_share_capture"]


def _pair(actual, predicted) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if y.shape != p.shape or y.ndim != 1:
        raise ValueError(f"actual and predicted must be 1-d of equal length, got {y.shape} "
                         f"and {p.shape}")
    if not (np.isfinite(y).all() and np.isfinite(p).all()):
        raise ValueError("actual and predicted must be finite (no NaN or infinity)")
    return y, p


def _order_by(predicted: np.ndarray) -> np.ndarray:
    """Positions sorted by prediction, highest first; ties keep input order (stable)."""
    return np.argsort(-predicted, kind="stable")


def spearman(actual, predicted) -> float:
    """Spearman rank correlation of predicted and actual spend (NaN if either is constant)."""
    y, p = _pair(actual, predicted)
    if len(y) < 2 or np.ptp(y) == 0 or np.ptp(p) == 0:
        return float("nan")
    return float(sps.spearmanr(y, p).statistic)


def _gini_by(y: np.ndarray, order: np.ndarray) -> float:
    """Gini of ``y`` (cumulative share captured above the diagonal) in ``order``."""
    total = y.sum()
    n = len(y)
    cum = np.cumsum(y[order]) / total
    return float(cum.sum() / n - (n + 1) / (2 * n))


def normalised_gini(actual, predicted) -> float:
    """Gini of the actual spend ranked by the prediction over the best possible Gini.

    Customers are ranked by prediction (highest first, ties in input order); the Gini is the
    mean cumulative share of actual spend captured minus the share captured by a random ranking.

    Parameters
    ----------
    actual : array-like of float
        Spend in the period, currency units (negative values count as they are).
    predicted : array-like of float
        Any score whose order is the prediction.

    Returns
    -------
    float
        1 for a perfect ranking, about 0 for a random one; NaN when total actual spend is 0.

    Examples
    --------
    >>> round(normalised_gini([0, 0, 10], [3, 2, 1]), 12)  # the spender ranked last
    -1.0
    >>> normalised_gini([0, 0, 10], [1, 2, 3])
    1.0
    """
    y, p = _pair(actual, predicted)
    if len(y) == 0 or y.sum() == 0:
        return float("nan")
    best = _gini_by(y, _order_by(y))
    return _gini_by(y, _order_by(p)) / best if best > 0 else float("nan")


def top_share_capture(actual, predicted, share: float = 0.1) -> float:
    """Share of total actual spend from the ``share`` of customers ranked highest.

    The top group holds ``ceil(share * n)`` customers (ties in prediction keep input order).

    Returns
    -------
    float
        0..1 for non-negative spend; NaN when total actual spend is 0.
    """
    y, p = _pair(actual, predicted)
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], got {share}")
    total = y.sum()
    if len(y) == 0 or total == 0:
        return float("nan")
    k = int(np.ceil(share * len(y) - 1e-9))
    return float(y[_order_by(p)[:k]].sum() / total)


def top_decile_capture(actual, predicted) -> float:
    """Share of next-period revenue from the top 10% of customers by prediction.

    Examples
    --------
    >>> top_decile_capture([5, 0, 0, 0, 0, 0, 0, 0, 0, 5], [9, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    0.5
    """
    return top_share_capture(actual, predicted, 0.1)


def mae(actual, predicted) -> float:
    """Mean absolute error per customer, currency units."""
    y, p = _pair(actual, predicted)
    return float(np.abs(y - p).mean()) if len(y) else float("nan")


def decile_calibration(actual, predicted, n_groups: int = 10) -> pd.DataFrame:
    """Mean predicted and mean actual spend by decile of the prediction.

    Customers are ranked by prediction (ties in input order) and cut into ``n_groups`` groups of
    (almost) equal size; decile 1 holds the highest predictions.

    Returns
    -------
    DataFrame
        ``decile`` (1 = highest predictions), ``customers``, ``predicted`` and ``actual`` (mean
        spend per customer, currency), ``actual_share`` (share of total actual spend).
    """
    y, p = _pair(actual, predicted)
    n = len(y)
    rank = np.empty(n, dtype=np.int64)
    rank[_order_by(p)] = np.arange(n)
    decile = (rank * n_groups // max(n, 1)) + 1
    total = y.sum()
    out = (pd.DataFrame({"decile": decile, "predicted": p, "actual": y})
           .groupby("decile")
           .agg(customers=("actual", "size"), predicted=("predicted", "mean"),
                actual=("actual", "mean"), actual_sum=("actual", "sum")))
    out["actual_share"] = out.pop("actual_sum") / total if total else np.nan
    return out.reset_index()


def evaluate(actual, predicted) -> dict[str, float]:
    """All scalar metrics: ``spearman``, ``gini`` (normalised), ``top_decile_capture``, ``mae``,
    ``predicted_total`` and ``actual_total`` (currency)."""
    y, p = _pair(actual, predicted)
    return {"spearman": spearman(y, p), "gini": normalised_gini(y, p),
            "top_decile_capture": top_decile_capture(y, p), "mae": mae(y, p),
            "predicted_total": float(p.sum()), "actual_total": float(y.sum())}
