"""Assembly for the churn report (notebook 05): findings in words, written from the numbers.

Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crm_analysis.churn.backtest import BacktestResult, ModelChoice
from crm_analysis.churn.labels import Horizon

__all__ = ["absent_tables_text", "key_findings", "metric_value"]


def metric_value(result: BacktestResult, model: str, metric: str) -> float:
    """Point estimate of ``metric`` for ``model`` on the latest test cutoff (NaN if absent)."""
    t = result.latest.table
    hit = t[(t["model"] == model) & (t["metric"] == metric)]
    return float(hit["estimate"].iloc[0]) if len(hit) else float("nan")


def absent_tables_text(notes: Mapping[str, str]) -> str:
    """What was skipped for lack of a table, as Markdown (or a sentence saying nothing was)."""
    if not notes:
        return "All optional tables were present; every feature group is used."
    return "Skipped for lack of data:\n" + "\n".join(f"- {v}" for v in notes.values())


def key_findings(
    *,
    scores: pd.DataFrame,
    result: BacktestResult,
    choice: ModelChoice,
    horizon: Horizon,
    snapshot: object,
    top_n: int,
    oracle_auc: float | None = None,
) -> list[str]:
    """Sentences for the top of the report.

    Parameters
    ----------
    scores : DataFrame
        From :func:`~crm_analysis.churn.score_customers` (call order).
    result : BacktestResult
    choice : ModelChoice
    horizon : Horizon
    snapshot : date-like
    top_n : int
        Length of the call list.
    oracle_auc : float, optional
        The synthetic oracle's ROC-AUC on the latest test cutoff.

    Returns
    -------
    list of str (Markdown)
    """
    h = horizon.days
    n = len(scores)
    high = scores["risk_tier"] == "high"
    expected = scores["churn_probability"].sum()
    out = [f"Of **{n:,} active customers** (bought in the last year) on "
           f"{pd.Timestamp(snapshot):%d %B %Y}, we expect about **{expected:,.0f}** "
           f"({expected / max(n, 1):.0%}) to make no purchase in the next {h} days; "
           f"**{int(high.sum()):,}** are at high risk (probability 70% or more)."]
    var = scores["value_at_risk"]
    if var.notna().any():
        top = scores.head(top_n)
        out.append(
            f"**Call first: the {min(top_n, n)} customers at the top of the list** below. "
            f"Together they hold {top['value_at_risk'].sum():,.0f} of expected future revenue at "
            f"risk ({top['value_at_risk'].sum() / var.sum():.0%} of the {var.sum():,.0f} at "
            f"risk across all active customers); high-risk customers alone hold "
            f"{var[high].sum():,.0f}.")
    else:
        out.append("No customer lifetime values were available (notebook 03 output missing), "
                   "so the list is ranked by churn probability alone.")
    auc = metric_value(result, choice.name, "roc_auc")
    lift = metric_value(result, choice.name, "top_decile_lift")
    rec = metric_value(result, "recency", "roc_auc")
    bg = metric_value(result, "bgnbd", "roc_auc")
    base_rate = float(result.predictions["churned"].mean())
    out.append(
        f"How good is it? Tested on the customers of {result.test_cutoff:%d %B %Y} (trained only "
        f"on earlier dates), the chosen model ({choice.label}) ranks a random churner above a "
        f"random stayer {auc:.0%} of the time (ROC-AUC {auc:.3f}; recency alone {rec:.3f}"
        + (f", BG/NBD {bg:.3f}" if np.isfinite(bg) else "")
        + f"). Its top 10% hold {lift:.1f} times the average churn rate "
          f"({min(lift * base_rate, 1):.0%} against {base_rate:.0%}).")
    if oracle_auc is not None and np.isfinite(oracle_auc):
        out.append(
            f"On this synthetic data a model that knew each customer's hidden state (still "
            f"active or not, true purchase rate) would reach ROC-AUC {oracle_auc:.3f}; the gap "
            f"of {oracle_auc - auc:.3f} is what cannot be seen in the purchase history.")
    reasons = scores["reason_1"][high & (scores["reason_1"] != "")]
    if len(reasons):
        first = reasons.str.replace(r"[0-9.,%]+", "N", regex=True).value_counts()
        out.append(f"The most common first reason among high-risk customers: "
                   f"\"{first.index[0]}\" ({first.iloc[0] / len(reasons):.0%} of them).")
    return out
