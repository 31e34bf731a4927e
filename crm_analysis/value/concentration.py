"""How concentrated revenue is: top-customer shares, the Lorenz curve and the Gini coefficient.

All three take one revenue figure per customer (currency units). Customers with a negative net
revenue (returns larger than purchases) count as 0: a share of revenue is only meaningful for
non-negative amounts, and a Gini coefficient with negative values can exceed 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["gini", "lorenz_curve", "revenue_concentration", "top_share"]


def _sorted_revenue(revenue: pd.Series | np.ndarray | Sequence[float]) -> np.ndarray:
    """Revenue per customer as float64, negatives set to 0, sorted ascending."""
    values = np.asarray(revenue, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError("revenue must be one value per customer (1-d)")
    if not np.isfinite(values).all():
        raise ValueError("revenue has missing or infinite values")
    return np.sort(np.maximum(values, 0.0))


def top_share(revenue: pd.Series | np.ndarray | Sequence[float], share: float) -> float:
    """Share of total revenue earned from the top ``share`` of customers.

    Parameters
    ----------
    revenue : array-like
        Revenue per customer (currency units).
    share : float
        Fraction of customers, 0 < share <= 1; the top ``ceil(share * n)`` customers (at least
        one) are counted.

    Returns
    -------
    float
        Fraction of revenue (0..1); NaN when there is no revenue.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    values = _sorted_revenue(revenue)
    total = values.sum()
    if len(values) == 0 or total <= 0:
        return float("nan")
    k = max(1, int(np.ceil(share * len(values) - 1e-9)))
    return float(values[-k:].sum() / total)


def revenue_concentration(
    revenue: pd.Series | np.ndarray | Sequence[float],
    shares: Sequence[float] = (0.01, 0.10, 0.20),
) -> pd.DataFrame:
    """Revenue share of the top 1%, 10% and 20% of customers (or other ``shares``).

    Parameters
    ----------
    revenue : array-like
        Revenue per customer (currency units).
    shares : sequence of float
        Fractions of customers.

    Returns
    -------
    DataFrame
        One row per share: ``top`` (label such as ``"top 10%"``), ``customer_share``,
        ``customers`` (int), ``revenue`` (currency) and ``revenue_share`` (0..1).
    """
    values = _sorted_revenue(revenue)
    total = values.sum()
    rows = []
    for share in shares:  # a handful of shares, each vectorised
        k = max(1, int(np.ceil(share * len(values) - 1e-9))) if len(values) else 0
        top = float(values[len(values) - k:].sum())
        rows.append({"top": f"top {share:.0%}", "customer_share": share, "customers": k,
                     "revenue": top, "revenue_share": top / total if total > 0 else np.nan})
    return pd.DataFrame(rows)


def lorenz_curve(revenue: pd.Series | np.ndarray | Sequence[float],
                 n_points: int | None = 1001) -> pd.DataFrame:
    """Points of the Lorenz curve: cumulative share of revenue against share of customers.

    Customers are ordered from the smallest to the largest revenue; the curve runs from (0, 0) to
    (1, 1) and lies on the diagonal when everybody spends the same.

    Parameters
    ----------
    revenue : array-like
        Revenue per customer (currency units).
    n_points : int or None, default 1001
        Evaluate the (piecewise linear) curve at this many evenly spaced customer shares, which
        is exact on the curve and keeps charts light; None returns all n + 1 points.

    Returns
    -------
    DataFrame
        ``customer_share`` and ``revenue_share``, both 0..1.
    """
    values = _sorted_revenue(revenue)
    n, total = len(values), values.sum()
    x = np.linspace(0.0, 1.0, n + 1)
    y = np.concatenate(([0.0], np.cumsum(values) / total)) if total > 0 else x.copy()
    if n_points is not None and n + 1 > n_points:
        grid = np.linspace(0.0, 1.0, n_points)
        x, y = grid, np.interp(grid, x, y)
    return pd.DataFrame({"customer_share": x, "revenue_share": y})


def gini(revenue: pd.Series | np.ndarray | Sequence[float]) -> float:
    """Gini coefficient of revenue across customers (0 = all equal, near 1 = one takes all).

    Computed exactly as ``1 - 2 * area under the Lorenz curve`` of the n customers,
    ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n`` with x sorted ascending, i = 1..n.

    Parameters
    ----------
    revenue : array-like
        Revenue per customer (currency units).

    Returns
    -------
    float
        In [0, 1 - 1/n]; NaN when there is no revenue.
    """
    values = _sorted_revenue(revenue)
    n, total = len(values), values.sum()
    if n == 0 or total <= 0:
        return float("nan")
    i = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * np.dot(i, values) / (n * total) - (n + 1.0) / n)
