"""The customer value report in words: key findings, the holdout check and the parameters.

Every sentence is written from the numbers of a :class:`~crm_analysis.value.ValueAnalysis` as
escaped Markdown (:func:`crm_analysis.markup.md`); nothing here fits a model or changes a value.
"""

from __future__ import annotations

import numpy as np

from crm_analysis.limits import NOT_RELIABLE, RELIABLE
from crm_analysis.markup import Markup, join, md
from crm_analysis.value.analysis import ValueAnalysis
from crm_analysis.value.holdout import HoldoutCheck
from crm_analysis.value.trust import holdout_quality, verdict

__all__ = ["holdout_sentence", "key_findings", "parameter_sentence"]


def key_findings(result: ValueAnalysis) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers (Markdown)."""
    value = result.customer_value
    out = [verdict(result).sentence("Customer value"),
           md("**{n:,} customers** bought at least once up to the snapshot.", n=len(value))]
    if value.empty:
        return out + result.skipped
    shares = result.concentration.set_index("top")["revenue_share"]
    if "top 10%" in shares and np.isfinite(shares["top 10%"]):
        parts = join(md("the top {top} of customers bring {share:.0%}", top=t[4:],
                        share=shares[t]) for t in shares.index)
        out.append(md("Revenue is concentrated: {parts} of revenue (Gini {gini:.2f}).",
                      parts=parts, gini=result.gini))
    if not result.has_amounts:
        return out + _purchase_findings(result)
    seg = result.segments.set_index("segment")
    champions = seg.loc["Champions"]
    at_risk = seg.loc[["At Risk", "Can't Lose"]]
    n_at_risk = int(at_risk["customers"].sum())
    # what the pair is, read from its members: on mostly one-time data a high FM score means a
    # big single order, not a buying habit
    repeat = (at_risk["median_orders"] > 1) & (at_risk["customers"] > 0)
    habit = at_risk.loc[repeat, "customers"].sum() > n_at_risk / 2
    out.append(md(
        "Champions are {champions[customer_share]:.0%} of customers and earned "
        "{champions[revenue_share]:.0%} of revenue; At Risk and Can't Lose customers ({what} "
        "who have not bought for a while) are {n_at_risk:,} customers with {share_at_risk:.0%} "
        "of revenue: the first list for win-back.", champions=champions,
        what="once frequent or big spenders" if habit else
        "big spenders, most of them on a single order,", n_at_risk=n_at_risk,
        share_at_risk=at_risk["revenue_share"].sum()))
    check = result.holdout
    out += _holdout_finding(check)
    clv = value["clv"]
    total = float(clv.sum())
    top10 = float(clv[value["value_tier"] == "top 10%"].sum())
    if (value["clv_basis"] == "model").all():
        out.append(md(
            "Over the next {days} days today's customers are expected to make {purchases:,.0f} "
            "purchases worth {total:,.0f} of revenue (not margin) in present value (median CLV "
            "{median:,.2f}); the top 10% by CLV hold {top_share:.0%} of it.",
            days=result.horizon_days, purchases=value["expected_purchases"].sum(), total=total,
            median=clv.median(), top_share=top10 / total if total > 0 else float("nan")))
        out += _rough_total(result, "revenue plan")
    else:
        out.append(md(
            "{basis} Customers spent {total:,.0f} in that window; the top 10% of them "
            "{top_share:.0%} of it.", basis=result.basis,
            total=total, top_share=top10 / total if total > 0 else float("nan")))
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def _holdout_finding(check: HoldoutCheck | None) -> list[Markup]:
    if check is None or not np.isfinite(check.carrying.total_error):
        return []
    err = check.carrying
    return [md(
        "On the last {weeks} weeks, held out from fitting, {model} predicted "
        "{e.predicted_total:,.0f} repeat purchase days against {e.actual_total:,.0f} actual "
        "({size:.1%} {direction}; {quality} in total; per customer the mean absolute error "
        "is {e.mae:.2f} purchases).", weeks=check.split.holdout_weeks,
        model=next(iter(check.accuracy)), e=err, size=abs(err.total_error),
        direction="over" if err.total_error > 0 else "under",
        quality=holdout_quality(err.total_error))]


def _rough_total(result: ValueAnalysis, plan: str) -> list[Markup]:
    """The caveat on a model total that missed its holdout while beating the rate rule per
    customer: the values rank customers, the total is no ``plan``."""
    check, trust = result.holdout, verdict(result)
    if trust.level == RELIABLE or check is None or check.rule is None:
        return []
    name, err = next(iter(check.accuracy.items()))
    return [md("{lead} {name} missed its holdout total by {err:+.0%}. Per customer it erred less "
               "than the simple rate rule (mean absolute error {mae:.2f} against {rule:.2f} "
               "purchases), so use the values to rank customers.",
               lead=Markup(f"**Not a {plan}.**") if trust.level == NOT_RELIABLE else
               Markup("**A rough total.**"), name=name, err=err.total_error, mae=err.mae,
               rule=check.rule.mae)]


def _purchase_findings(result: ValueAnalysis) -> list[Markup]:
    """Key findings of a log without amounts: segments, the holdout and expected purchases."""
    seg = result.segments.set_index("segment")
    at_risk = seg.loc[["At Risk", "Can't Lose"]]
    out = [md("Champions are {c:.0%} of customers; At Risk and Can't Lose customers (once "
              "frequent, not seen for a while) are {n:,}: the first list for win-back.",
              c=seg.loc["Champions", "customer_share"], n=int(at_risk["customers"].sum()))]
    out += _holdout_finding(result.holdout)
    value = result.customer_value
    if not (value["clv_basis"] == "model").all():
        return [*out, result.basis, *(md("*Skipped:* {note}", note=n) for n in result.skipped)]
    out.append(md("{basis} Over the next {days} days today's customers are expected to make "
                  "{purchases:,.0f} purchases.", basis=result.basis, days=result.horizon_days,
                  purchases=value["expected_purchases"].sum()))
    out += _rough_total(result, "plan")
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def holdout_sentence(check: HoldoutCheck) -> Markup:
    """The holdout check in words, after its charts."""
    name, err = next(iter(check.accuracy.items()))
    weekly = check.weekly[check.weekly["period"] == "holdout"]
    typical = weekly["actual"].mean()
    gap = ((weekly["expected"] - weekly["actual"]).abs().mean() / typical
           if typical > 0 else float("nan"))
    quality = holdout_quality(err.total_error)
    others = join(md("{name}'s total is off by {error:+.1%}", name=n, error=e.total_error)
                  for n, e in list(check.accuracy.items())[1:])
    return md(
        "Over the {weeks}-week holdout {name} expected {e.predicted_total:,.0f} repeat purchase "
        "days and {e.actual_total:,.0f} happened ({e.total_error:+.1%}, {quality}). Per customer "
        "the mean absolute error is {e.mae:.2f} purchases (most customers buy 0 or 1 times, so "
        "individual forecasts are rough; the totals and rankings are what to use). Week by week "
        "the forecast is off by {gap:.0%} of a typical week on average{others}.{rule}",
        weeks=check.split.holdout_weeks, name=name, e=err,
        quality=quality if quality != "poor" else Markup("poor: treat the forecasts below with "
                                                         "care"),
        gap=gap, others=md("; {o}", o=others) if others else Markup(""),
        rule=md(" The simple rate rule (each customer's purchase rate of the calibration period "
                "carried forward) is off by {r.total_error:+.1%} in total, with a mean absolute "
                "error of {r.mae:.2f}.", r=check.rule) if check.rule is not None else Markup(""))


def parameter_sentence(result: ValueAnalysis) -> Markup | None:
    """What the fitted parameters mean for a customer, in words (None without BG/NBD)."""
    model = result.fits.transaction.get("BG/NBD")
    if model is None:
        return None
    p = model.params_
    gap, weeks = p["alpha"] / p["r"], float(result.summary["T"].max())
    caveat = (md(" That is longer than the whole history ({weeks:,.0f} weeks): most customers "
                 "buy too rarely to show a rhythm here, so read the totals and rankings, not "
                 "this average.", weeks=weeks) if gap > weeks else Markup(""))
    text = md("An active customer buys on average every {gap:,.1f} weeks, and after a repeat "
              "purchase drops out with probability {dropout:.1%} on average (BG/NBD).{caveat}",
              gap=gap, dropout=p["a"] / (p["a"] + p["b"]), caveat=caveat)
    spend = result.fits.spend
    if spend is None:
        return text
    repeaters = result.summary[result.summary["frequency"] > 0]
    return md("{text} A future order is worth {order:,.2f} on average (Gamma-Gamma, fitted on "
              "{n:,} repeat buyers). Frequency and mean spend of repeat buyers correlate at "
              "{corr:.2f}; the Gamma-Gamma model assumes about 0.", text=text,
              order=spend.population_mean_spend(), n=spend.n_customers_,
              corr=repeaters["frequency"].corr(repeaters["monetary_value"]))
