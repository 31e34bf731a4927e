"""RFM scores (quintiles 1-5) and the common named RFM segments.

Scores
------
Each customer gets three scores from 1 (worst) to 5 (best):

- ``recency_score``: days since the last purchase; the most recent fifth scores 5;
- ``frequency_score``: number of orders; the most frequent fifth scores 5;
- ``monetary_score``: total revenue; the top fifth scores 5.

Scores are cut from the rank into 5 groups of equal size, as ``pandas.qcut(rank, 5)`` does, and
**tied customers share a score**: the one of the tie's lowest rank (``rank(method="min")`` on the
measure, oriented so that higher is better). So when most customers bought once, every one-time
buyer has F = 1 and the repeat buyers share the upper scores; groups are then not of equal size,
but no customer is placed above an identical one by the order of the rows. When every customer
has the same value the measure says nothing, and every customer scores the middle group (3).

Segments
--------
The inputs come from :func:`crm_analysis.features.customer_rfm` (the transaction scan lives in
``features``). The named segments follow the widely used R x FM grid (e.g. the "RFM
segmentation" tables of Putler and the Kaggle/Medium tutorials derived from them), with FM the
rounded-half-up mean of the frequency and monetary scores, ``FM = (F + M + 1) // 2``:

=====================  ========  ==========
segment                R score   FM score
=====================  ========  ==========
Champions              5         4-5
Loyal                  3-4       4-5
Potential Loyalists    4-5       2-3
New                    5         1
Promising              4         1
Need Attention         3         3
About to Sleep         3         1-2
At Risk                1-2       3-4
Can't Lose             1-2       5
Hibernating            1-2       1-2
=====================  ========  ==========

The grid covers all 25 (R, FM) cells exactly once (:data:`SEGMENT_GRID`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "SEGMENTS",
    "SEGMENT_GRID",
    "quintile_scores",
    "rfm_scores",
    "rfm_segment",
    "segment_summary",
]

SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential Loyalists",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose",
    "Hibernating",
)
"""The named segments, best first (the order of every table and chart)."""

_C, _L, _PL, _N, _P, _NA, _AS, _AR, _CL, _H = range(len(SEGMENTS))
SEGMENT_GRID: np.ndarray = np.array([
    # FM:  1    2    3    4    5
    [_H, _H, _AR, _AR, _CL],     # R = 1
    [_H, _H, _AR, _AR, _CL],     # R = 2
    [_AS, _AS, _NA, _L, _L],     # R = 3
    [_P, _PL, _PL, _L, _L],      # R = 4
    [_N, _PL, _PL, _C, _C],      # R = 5
])
"""Segment code (index into :data:`SEGMENTS`) by ``[R score - 1, FM score - 1]``."""


def quintile_scores(values: pd.Series, *, n_groups: int = 5, higher_is_better: bool = True
                    ) -> pd.Series:
    """Scores 1..n_groups by equal-size groups of the rank; tied values share a score.

    For distinct values identical to ``pandas.qcut(values.rank(), n_groups, labels=False) + 1``
    (the rank r of n falls in group ceil((r - 1) n_groups / (n - 1)), at least 1), computed in
    exact integer arithmetic. Tied values get the group of the tie's lowest rank (the worse
    score), so equal customers are never split by row order. A single customer, or customers
    who all share one value, score the middle group.

    Parameters
    ----------
    values : Series
        The measure (e.g. days since the last order).
    n_groups : int, default 5
        Number of groups.
    higher_is_better : bool, default True
        If False (recency in days), the smallest values get the highest score.

    Returns
    -------
    Series
        int64 scores 1..n_groups, indexed like ``values``.
    """
    n = len(values)
    if n == 0:
        return pd.Series(np.array([], np.int64), index=values.index, name=values.name)
    key = values if higher_is_better else -values
    if n == 1 or key.nunique(dropna=False) == 1:
        group = np.full(n, (n_groups + 1) // 2)
    else:
        rank = key.rank(method="min").to_numpy(dtype=np.int64)
        group = np.maximum(-(-(rank - 1) * n_groups // (n - 1)), 1)
    return pd.Series(group.astype(np.int64), index=values.index, name=values.name)


def rfm_segment(recency_score: pd.Series, frequency_score: pd.Series,
                monetary_score: pd.Series) -> pd.Series:
    """Named segment from the three scores by the R x FM grid (module docstring).

    Parameters
    ----------
    recency_score, frequency_score, monetary_score : Series
        Integer scores 1-5, aligned.

    Returns
    -------
    Series
        Categorical with the categories :data:`SEGMENTS` in that order.
    """
    r = recency_score.to_numpy(dtype=np.int64)
    fm = (frequency_score.to_numpy(dtype=np.int64) + monetary_score.to_numpy(dtype=np.int64)
          + 1) // 2
    if len(r) and (r.min() < 1 or r.max() > 5 or fm.min() < 1 or fm.max() > 5):
        raise ValueError("scores must lie in 1..5")
    codes = SEGMENT_GRID[r - 1, fm - 1] if len(r) else np.array([], dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(SEGMENTS)),
                     index=recency_score.index, name="segment")


def rfm_scores(
    rfm: pd.DataFrame,
    *,
    recency: str = "recency_days",
    frequency: str = "orders",
    monetary: str | None = "revenue",
) -> pd.DataFrame:
    """RFM quintile scores and the named segment for each customer.

    Parameters
    ----------
    rfm : DataFrame
        One row per customer, e.g. from :func:`customer_rfm`.
    recency : str
        Column of days since the last purchase (fewer days is better: most recent fifth = 5).
    frequency : str
        Column of the number of purchases.
    monetary : str or None
        Column of the spend (currency units). None for a log without amounts: the segment grid
        then reads frequency alone where it would read frequency and spend (an RF segmentation).

    Returns
    -------
    DataFrame
        ``rfm`` plus ``recency_score``, ``frequency_score``, ``monetary_score`` (int 1-5;
        missing without amounts), ``rfm_code`` (text such as ``"545"``, ``"54-"`` without
        amounts) and ``segment`` (categorical, :data:`SEGMENTS`).
    """
    r = quintile_scores(rfm[recency], higher_is_better=False)
    f = quintile_scores(rfm[frequency])
    if monetary is None:
        code = (r.astype(str) + f.astype(str) + "-").astype("string")
        return rfm.assign(recency_score=r, frequency_score=f,
                          monetary_score=pd.array([pd.NA] * len(rfm), dtype="Int64"),
                          rfm_code=code, segment=rfm_segment(r, f, f))
    m = quintile_scores(rfm[monetary])
    code = (r.astype(str) + f.astype(str) + m.astype(str)).astype("string")
    return rfm.assign(recency_score=r, frequency_score=f, monetary_score=m, rfm_code=code,
                      segment=rfm_segment(r, f, m))


def segment_summary(
    scored: pd.DataFrame,
    *,
    recency: str = "recency_days",
    frequency: str = "orders",
    monetary: str | None = "revenue",
) -> pd.DataFrame:
    """Size, revenue share and medians of each named segment (all ten, best first).

    Parameters
    ----------
    scored : DataFrame
        Output of :func:`rfm_scores`.
    recency, frequency, monetary : str
        Columns as for :func:`rfm_scores`.

    Returns
    -------
    DataFrame
        One row per segment (empty segments included with 0 customers): ``segment``,
        ``customers``, ``customer_share``, ``revenue`` (currency), ``revenue_share``,
        ``median_recency_days``, ``median_orders``, ``median_revenue``; without ``monetary``
        (a log without amounts) the three revenue columns are left out.
    """
    total_customers = max(len(scored), 1)
    if monetary is None:
        out = (scored.groupby("segment", observed=False)
               .agg(customers=(frequency, "size"), median_recency_days=(recency, "median"),
                    median_orders=(frequency, "median"))
               .reindex(list(SEGMENTS)))
        out["customers"] = out["customers"].fillna(0).astype("int64")
        out["customer_share"] = out["customers"] / total_customers
        cols = ["customers", "customer_share", "median_recency_days", "median_orders"]
        return out[cols].rename_axis("segment").reset_index()
    total_revenue = float(scored[monetary].sum())
    out = (scored.groupby("segment", observed=False)
           .agg(customers=(monetary, "size"), revenue=(monetary, "sum"),
                median_recency_days=(recency, "median"), median_orders=(frequency, "median"),
                median_revenue=(monetary, "median"))
           .reindex(list(SEGMENTS)))
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["revenue"] = out["revenue"].fillna(0.0)
    out["customer_share"] = out["customers"] / total_customers
    out["revenue_share"] = out["revenue"] / total_revenue if total_revenue else np.nan
    cols = ["customers", "customer_share", "revenue", "revenue_share", "median_recency_days",
            "median_orders", "median_revenue"]
    return out[cols].rename_axis("segment").reset_index()
