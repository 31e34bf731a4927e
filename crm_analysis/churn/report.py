"""Assembly for the churn report (notebook 05): findings in words, written from the numbers.

Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from crm_analysis.churn.analysis import ChurnAnalysis
from crm_analysis.churn.backtest import BacktestResult
from crm_analysis.churn.oracle import References
from crm_analysis.limits import NOT_RELIABLE, RELIABLE, USE_WITH_CARE, Verdict
from crm_analysis.markup import Markup, bullets, md

__all__ = ["absent_tables_text", "headline_metrics", "key_findings", "metric_value", "verdict"]


def metric_value(result: BacktestResult, model: str, metric: str) -> float:
    """Point estimate of ``metric`` for ``model`` on the latest test cutoff (NaN if absent)."""
    t = result.latest.table
    hit = t[(t["model"] == model) & (t["metric"] == metric)]
    return float(hit["estimate"].iloc[0]) if len(hit) else float("nan")


def absent_tables_text(notes: Mapping[str, str]) -> Markup:
    """What was skipped for lack of a table, as Markdown (or a sentence saying nothing was)."""
    if not notes:
        return md("All optional tables were present; every feature group is used.")
    return md("Skipped for lack of data:\n{items}", items=bullets(notes.values()))


GOOD_AUC, WEAK_AUC = 0.7, 0.6
"""ROC-AUC from which the churn ranking is reliable, and below which it is not reliable."""


def verdict(analysis: ChurnAnalysis) -> Verdict:
    """How far to trust the churn ranking: the chosen scorer's ROC-AUC on the latest test date.

    Reliable from 0.7, use with care from 0.6, not reliable below 0.6 or without a backtest
    (the recency rule then ranks unchecked).
    """
    result, choice = analysis.result, analysis.choice
    if result is None:
        return Verdict(NOT_RELIABLE, "no backtest was possible on this data, so the ranking by "
                       "days since the last purchase is unchecked")
    auc = metric_value(result, choice.name, "roc_auc")
    lift = metric_value(result, choice.name, "top_decile_lift")
    how = (f"the {'rule' if choice.is_rule else 'model'} shown ({choice.label}) ranks with "
           f"ROC-AUC {auc:.2f} and top-decile lift {lift:.1f} on the latest test date")
    if auc < WEAK_AUC:
        return Verdict(NOT_RELIABLE, f"the ranking is barely better than chance: {how}")
    return Verdict(RELIABLE if auc >= GOOD_AUC else USE_WITH_CARE, how)


def reference_sentence(analysis: ChurnAnalysis, references: References) -> Markup:
    """On synthetic data: how far the chosen scorer is from the best a model of the history can
    reach with the generator's true parameters, and from a model that saw the hidden state (a
    check against the generator, for the appendix, not a finding)."""
    auc = metric_value(analysis.result, analysis.choice.name, "roc_auc")
    return md(
        "On this synthetic data the best a model of the purchase history can reach, knowing "
        "the generator's true parameters, is ROC-AUC {bayes:.3f} (the chosen scorer is {gap:.3f} "
        "below it); a model that saw each customer's hidden state (still active or not, true "
        "purchase rate) would reach {oracle:.3f}, which no history reveals.",
        bayes=references.bayes_auc, gap=references.bayes_auc - auc,
        oracle=references.oracle_auc)


def key_findings(analysis: ChurnAnalysis, *, top_n: int) -> list[Markup]:
    """Sentences for the top of the report.

    Parameters
    ----------
    analysis : ChurnAnalysis
    top_n : int
        Length of the call list.

    Returns
    -------
    list of Markup (Markdown sentences)
    """
    scores, result, choice = analysis.scores, analysis.result, analysis.choice
    h, n = analysis.horizon.days, len(scores)
    snapshot = analysis.as_of
    high = scores["risk_tier"] == "high"
    if result is None:
        out = [verdict(analysis).sentence("Churn ranking"), md(
            "Of **{n:,} active customers** (bought in the last year) on {day:%d %B %Y}, "
            "**{high:,}** have been silent for longer than the {h}-day horizon. {basis}",
            n=n, day=snapshot, high=int(high.sum()), h=h, basis=analysis.basis)]
        return out + [md("*Skipped:* {note}", note=note) for note in analysis.skipped]
    expected = scores["churn_probability"].sum()
    out = [verdict(analysis).sentence("Churn ranking"), md(
        "Of **{n:,} active customers** (bought in the last year) on {day:%d %B %Y}, we expect "
        "about **{expected:,.0f}** ({share:.0%}) to make no purchase in the next {h} days; "
        "**{high:,}** are at high risk (probability 70% or more).", n=n, day=snapshot,
        expected=expected, share=expected / max(n, 1), h=h, high=int(high.sum()))]
    var = scores["value_at_risk"]
    if var.notna().any():
        top = scores.head(top_n)
        out.append(md(
            "**Call first: the {shown} customers at the top of the list** below. Together they "
            "hold {top_risk:,.0f} of expected future revenue at risk ({top_share:.1%} of the "
            "{total:,.0f} at risk across all active customers); high-risk customers alone hold "
            "{high_risk:,.0f}.", shown=min(top_n, n), top_risk=top["value_at_risk"].sum(),
            top_share=top["value_at_risk"].sum() / var.sum() if var.sum() > 0 else float("nan"),
            total=var.sum(), high_risk=var[high].sum()))
    elif "total_spend" not in analysis.features.feature_names:  # spend features need amounts
        out.append(md("The orders carry no amounts, so there is no value at risk: the list is "
                      "ranked by churn probability alone."))
    else:
        out.append(md("No customer lifetime values were available (notebook 03 output missing), "
                      "so the list is ranked by churn probability alone."))
    auc = metric_value(result, choice.name, "roc_auc")
    lift = metric_value(result, choice.name, "top_decile_lift")
    rec = metric_value(result, "recency", "roc_auc")
    bg = metric_value(result, "bgnbd", "roc_auc")
    base_rate = float(result.predictions["churned"].mean())
    out.append(md(
        "How good is it? Tested on the customers of {test:%d %B %Y} (trained only on earlier "
        "dates), the chosen {kind} ({label}) ranks a random churner above a random stayer "
        "{auc:.0%} of the time (ROC-AUC {auc:.3f}; recency alone {rec:.3f}{bg}). Its top 10% "
        "hold {lift:.1f} times the average churn rate ({top_rate:.0%} against {base:.0%}).",
        test=result.test_cutoff, kind="simple rule" if choice.is_rule else "model",
        label=choice.label, auc=auc, rec=rec,
        bg=md(", BG/NBD {bg:.3f}", bg=bg) if np.isfinite(bg) else Markup(""), lift=lift,
        top_rate=min(lift * base_rate, 1), base=base_rate))
    reasons = scores["reason_1"][high & (scores["reason_1"] != "")]
    if len(reasons):  # reasons of one kind differ only in their numbers
        kind = reasons.str.replace(r"[0-9.,%]+", "#", regex=True)
        counts = kind.value_counts()
        out.append(md("The most common first reason among high-risk customers is of the kind "
                      "\"{example}\" ({share:.0%} of them).",
                      example=reasons[kind == counts.index[0]].iloc[0],
                      share=counts.iloc[0] / len(reasons)))
    return out + [md("*Note:* {note}", note=note) for note in analysis.windows.notes]


def headline_metrics(analysis: ChurnAnalysis, references: References | None = None
                     ) -> list[dict]:
    """The report's headline numbers as ``record_metric`` keyword arguments; a number the data
    could not give is ``None`` with the reason."""
    result, choice = analysis.result, analysis.choice
    reason = None if result is not None else "no backtest on this data"
    high = (analysis.scores["risk_tier"] == "high").to_numpy(bool)

    def value(model: str, metric: str) -> float | None:
        return None if result is None else metric_value(result, model if model else choice.name,
                                                        metric)

    out = [
        {"name": "churn_test_roc_auc", "value": value("", "roc_auc"),
         "label": "Churn ROC-AUC (test)", "fmt": ".3f", "reason": reason},
        {"name": "churn_test_pr_auc", "value": value("", "pr_auc"),
         "label": "Churn PR-AUC (test)", "fmt": ".3f", "reason": reason},
        {"name": "churn_top_decile_lift", "value": value("", "top_decile_lift"),
         "label": "Churn top-decile lift", "fmt": ".2f", "reason": reason},
        {"name": "churn_baseline_recency_roc_auc", "value": value("recency", "roc_auc"),
         "label": "ROC-AUC, recency alone", "fmt": ".3f", "reason": reason},
        {"name": "churn_baseline_bgnbd_roc_auc", "value": value("bgnbd", "roc_auc"),
         "label": "ROC-AUC, BG/NBD baseline", "fmt": ".3f",
         "reason": reason or "no BG/NBD baseline on this data"},
        {"name": "churn_horizon_days", "value": analysis.horizon.days,
         "label": "Churn horizon (days)", "fmt": ",d"},
        {"name": "churn_backtest_cutoffs", "value": len(analysis.windows.cutoffs),
         "label": "Churn backtest dates", "fmt": ",d"},
        {"name": "churn_value_at_risk_total", "value": analysis.scores["value_at_risk"].sum(
            min_count=1), "label": "Value at risk (total)", "fmt": ",.0f",
         "reason": reason or "no customer lifetime values"},
        {"name": "churn_model", "value": choice.name if choice else "rule: days since the last "
         "purchase", "label": "Churn model chosen"},
        {"name": "active_customers", "value": len(analysis.scores), "fmt": ",d",
         "label": "Active customers (bought in the last year)"},
        {"name": "churn_high_risk_customers", "value": int(high.sum()), "fmt": ",d",
         "label": "Customers at high churn risk (the top of the call list)"},
        {"name": "churn_high_risk_value", "fmt": ",.0f",
         "value": analysis.scores.loc[high, "value_at_risk"].sum(min_count=1),
         "label": "Value at risk of the high-risk customers",
         "reason": reason or "no customer lifetime values"},
        verdict(analysis).metric("churn_verdict", "Churn ranking reliability"),
    ]
    if references is not None:
        out += [{"name": "churn_oracle_roc_auc", "value": references.oracle_auc,
                 "label": "ROC-AUC, synthetic oracle (hidden state)", "fmt": ".3f"},
                {"name": "churn_bayes_roc_auc", "value": references.bayes_auc,
                 "label": "ROC-AUC, history-based reference (true parameters)", "fmt": ".3f"}]
    return out
