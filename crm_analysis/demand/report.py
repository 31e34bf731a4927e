"""What notebook 02 says: key findings written from the numbers, and tables in plain words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.demand.analysis import ALL_ORDERS, TOTAL, DemandAnalysis
from crm_analysis.demand.methods import METHODS, method_label
from crm_analysis.demand.seasonality import strength_words
from crm_analysis.demand.selection import Backtest
from crm_analysis.limits import NOT_RELIABLE, RELIABLE, USE_WITH_CARE, Verdict
from crm_analysis.markup import Markup, join, md


def _pct(value: float, signed: bool = True) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:+.0%}" if signed else f"{value:.0%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def forecast_total(result: DemandAnalysis) -> pd.DataFrame:
    """The forecast of the total weekly measure (revenue, or orders without amounts; all
    categories), one row per week ahead."""
    if result.forecast.empty:
        return result.forecast
    series = TOTAL if result.by else result.categories[0]
    return result.forecast[result.forecast["series"] == series].reset_index(drop=True)


def key_findings(result: DemandAnalysis) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers (Markdown; currency =
    source's)."""
    daily, out = result.daily, []
    units = daily.units
    detail = ""
    if units is not None:
        n = len(result.categories)
        detail = md(" ({units:,.0f} units{cats})", units=units, cats=md(
            " in {n} {word}", n=n, word="category" if n == 1 else "categories")
            if result.by else Markup(""))
    worth = (md(" worth **{revenue}**", revenue=Markup(_money(daily.revenue)))
             if result.measure == "revenue" else Markup(""))
    out.append(md("From {first:%d %b %Y} to {last:%d %b %Y} there were **{orders:,} orders**"
                  "{worth}{detail}, guest orders and new customers included.",
                  first=daily.first_day, last=result.as_of, orders=daily.orders,
                  worth=worth, detail=detail))
    g = result.growth
    total = g[g["group"] == (TOTAL if result.by else ALL_ORDERS)].dropna(subset=["value"])
    if len(total):
        last = total.iloc[-1]
        year = (md("{change} on the same month a year before",
                   change=Markup(_pct(last["vs_year_ago"])))
                if np.isfinite(last["vs_year_ago"]) else Markup("no month a year before to "
                                                                "compare with"))
        previous = (md("{change} on the month before", change=Markup(_pct(last["vs_previous"])))
                    if np.isfinite(last["vs_previous"]) else Markup("no month before"))
        out.append(md("{what} in {month:%B %Y}: {value}; {year}, {previous}.",
                      what=result.measure.capitalize(), month=last["period"],
                      value=Markup(_money(last["value"])), year=year, previous=previous))
    if result.by:
        latest = g[(g["period"] == g["period"].max()) & (g["group"] != TOTAL)]
        latest = latest.dropna(subset=["vs_year_ago"])
        if len(latest) > 1:  # one category is the total: nothing to compare
            best = latest.loc[latest["vs_year_ago"].idxmax()]
            worst = latest.loc[latest["vs_year_ago"].idxmin()]
            out.append(md("Fastest growing category on a year before: **{best}** ({best_change}); "
                          "slowest: {worst} ({worst_change}).", best=best["group"],
                          best_change=Markup(_pct(best["vs_year_ago"])), worst=worst["group"],
                          worst_change=Markup(_pct(worst["vs_year_ago"]))))
    dec = result.decomposition
    if dec is not None:
        prof = dec.yearly_profile()
        hi, lo = prof.loc[prof["effect"].idxmax()], prof.loc[prof["effect"].idxmin()]
        out.append(md("The trend is {trend_words} ({trend:.2f}) and the yearly season "
                      "{season_words} ({season:.2f}, 0 = none, 1 = all): {what} {hi} "
                      "against trend in {hi_month} and {lo} in {lo_month}.",
                      what="orders run" if result.measure == "orders" else "revenue runs",
                      trend_words=strength_words(dec.trend_strength), trend=dec.trend_strength,
                      season_words=strength_words(dec.seasonal_strength),
                      season=dec.seasonal_strength, hi=Markup(_pct(hi["effect"])),
                      hi_month=hi["month"], lo=Markup(_pct(lo["effect"])), lo_month=lo["month"]))
    wd = result.weekday.dropna(subset=["index"])
    closed = wd[wd["index"] < 0.02]  # (almost) nothing on that day: a closed day, not a slow one
    wd = wd[wd["index"] >= 0.02]
    if len(wd):
        top, low = wd.loc[wd["index"].idxmax()], wd.loc[wd["index"].idxmin()]
        shut = (md(" (Almost) nothing is sold on {days}.",
                   days=join(f"{d}s" for d in closed["weekday"])) if len(closed)
                else Markup(""))
        out.append(md("Busiest weekday: {top} ({top_change} on an average day); quietest: {low} "
                      "({low_change}).{shut}", top=top["weekday"],
                      top_change=Markup(_pct(top["index"] - 1)), low=low["weekday"],
                      low_change=Markup(_pct(low["index"] - 1)), shut=shut))
    out.extend(forecast_findings(result))
    if result.pairs is not None and len(result.pairs):
        p = result.pairs.iloc[0]
        few = (Markup(" Few orders carry this pair, so read the lift as a hint, not a rule.")
               if p["together"] < FEW_PAIR_ORDERS else Markup(""))
        out.append(md("Products bought together most above chance: {a} and {b}, in {n:,} "
                      "orders, {lift:.1f} times as often as chance predicts.{few}", a=p["item_a"],
                      b=p["item_b"], n=p["together"], lift=p["lift"], few=few))
    if result.ticket_topics is not None and len(result.ticket_topics):
        complaints = result.ticket_topics[result.ticket_topics["type"] == "complaint"]
        if len(complaints):
            c = complaints.iloc[0]
            out.append(md("The most common complaint is **{topic}** ({share} of complaints).",
                          topic=c["topic"], share=Markup(_pct(c["share_of_type"], False))))
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def headline_check(result: DemandAnalysis) -> pd.Series | None:
    """The backtest choice of the total series (the forecast the headline shows): ``method``,
    ``mase``, ``rule_method``, ``rule_mase``, ... (see :class:`Backtest`); None unchecked."""
    bt = result.backtest_total if result.by else result.backtest
    return None if bt is None else bt.choice.iloc[0]


def _model_mase(bt: Backtest, series: str) -> tuple[str, float]:
    """The best model of a series in the backtest and its MASE."""
    scores = bt.scores[(bt.scores["series"] == series) & ~bt.scores["rule"]]
    if scores.empty:
        return "", float("nan")
    row = scores.sort_values("mase").iloc[0]
    return str(row["method"]), float(row["mase"])


FEW_PAIR_ORDERS = 30
"""Orders below which a product pair's lift is a hint, not a rule (a handful of baskets can
give any lift)."""

NARROW_80, NARROW_95 = 0.65, 0.85
"""Backtest coverage below which the 80% or 95% ranges are called too narrow."""

GOOD_MASE, WEAK_MASE = 1.0, 2.0
"""MASE below which the forecast is reliable, and at or above which it is not reliable."""


def verdict(result: DemandAnalysis) -> Verdict:
    """How far to trust the forecast of total revenue (MASE of the method shown, module text).

    Reliable below MASE 1 (the forecast erred less, out of sample, than the naive rule does in
    sample), use with care below 2, not reliable from 2 or without a backtest.
    """
    check = headline_check(result)
    if check is None:
        why = next((n for n in result.skipped if "forecast" in n.lower()),
                   "the history is too short to check a forecast")
        return Verdict(NOT_RELIABLE, f"no forecast is shown: {why}")
    how = (f"the forecast ({method_label(check['method'])}) missed by {check['mase']:.2f} times "
           "the naive rule's in-sample weekly error in its backtest (MASE)")
    if METHODS[check["method"]].rule:
        how += "; no model beat the simple rules, so a rule is shown"
    level = (RELIABLE if check["mase"] < GOOD_MASE else
             USE_WITH_CARE if check["mase"] < WEAK_MASE else NOT_RELIABLE)
    return Verdict(level, how)


def forecast_findings(result: DemandAnalysis) -> list[Markup]:
    """What the forecast says and whether it earned its place (Markdown sentences)."""
    fc, check = forecast_total(result), headline_check(result)
    if check is None or fc.empty:
        return []
    low, high = _money(fc["forecast"].min()), _money(fc["forecast"].max())
    weekly = (md("{low} a week", low=Markup(low)) if low == high else
              md("between {low} and {high} a week", low=Markup(low), high=Markup(high)))
    out = [verdict(result).sentence("Forecast"), md(
        "Forecast for the next {weeks} weeks: **{total}** {what}, {weekly}, by {method}.",
        weeks=len(fc), total=Markup(_money(fc["forecast"].sum())), weekly=weekly,
        what="in revenue" if result.measure == "revenue" else "orders",
        method=method_label(check["method"]))]
    bt = result.backtest_total if result.by else result.backtest
    o = bt.overall
    if not METHODS[check["method"]].rule:
        gain = 1 - check["mae"] / check["rule_mae"] if check["rule_mae"] > 0 else float("nan")
        out.append(md(
            "Checked on {o[origins]} past cut-offs, it beat every simple rule: MASE {c[mase]:.2f} "
            "against {c[rule_mase]:.2f} for {rule}, weekly errors {gain} smaller.", o=o,
            c=check, rule=method_label(check["rule_method"]),
            gain=Markup(_pct(gain, signed=False))))
    else:
        model, model_mase = _model_mase(bt, check.name)
        out.append(md(
            "No model beat the simple rules on {o[origins]} past cut-offs, so the forecast is "
            "the rule with the smallest error, {rule} (MASE {c[mase]:.2f}; the best model, "
            "{model}, {model_mase:.2f}).", o=o, c=check, rule=method_label(check["method"]),
            model=method_label(model) if model else "none", model_mase=model_mase))
        if check["method"] == "naive" and result.decomposition is None:
            out.append(md("With less than two years of history no yearly season is learned: the "
                          "total carries the last complete week forward, so a seasonal peak or "
                          "trough in that week continues through all {weeks} weeks.",
                          weeks=len(fc)))
    if np.isfinite(check["coverage_80"]):
        narrow = check["coverage_95"] < NARROW_95 or check["coverage_80"] < NARROW_80
        out.append(md("Its 80 % range held {c80} of the past weeks and its 95 % range {c95} "
                      "(each cut-off checked with ranges built from the others).{narrow}",
                      c80=Markup(_pct(check["coverage_80"], False)),
                      c95=Markup(_pct(check["coverage_95"], False)),
                      narrow=Markup(" The ranges were too narrow: expect the coming weeks to "
                                    "stray outside them more often than they say.")
                      if narrow else Markup("")))
    if result.by and result.backtest is not None and result.backtest.overall["series"] > 1:
        won = result.backtest.overall["model_series"]
        out.append(md("Per category, a model beat the simple rules in {won} of {n} categories; "
                      "the others are forecast by their best rule.", won=won,
                      n=result.backtest.overall["series"]))
    return out


def growth_table(result: DemandAnalysis) -> pd.DataFrame:
    """Last complete month per category: revenue (orders for a log without amounts), change on
    month before and on year before."""
    from crm_analysis.demand.aggregate import latest_growth

    t = latest_growth(result.growth)
    return pd.DataFrame({"category": t["group"].astype(str), result.measure: t["value"],
                         "vs month before": t["vs_previous"], "vs year before": t["vs_year_ago"]})


def movers_table(result: DemandAnalysis) -> pd.DataFrame:
    """Top product movers with plain column names (product id, category, before, after)."""
    m = result.movers
    cols = {"product_id": "product", "category": "category", "before": "revenue before",
            "after": "revenue last 13 weeks", "change": "change", "change_pct": "change %",
            "direction": "direction"}
    return m[[c for c in cols if c in m]].rename(columns=cols)


def backtest_table(result: DemandAnalysis) -> pd.DataFrame:
    """Per category, then the total series: the method shown, its MASE and MAE, the best simple
    rule's, and how often the calibrated ranges held."""
    parts = [result.backtest.choice.assign(label=lambda c: c.index.astype(str))]
    if result.backtest_total is not None:
        parts.append(result.backtest_total.choice.assign(label=f"{TOTAL} (one series)"))
    t = pd.concat(parts)
    return pd.DataFrame({"series": t["label"], "forecast shown": t["method"].map(method_label),
                         "MASE": t["mase"], "best simple rule": t["rule_method"].map(method_label),
                         "MASE rule": t["rule_mase"], "MAE / week": t["mae"],
                         "MAE rule / week": t["rule_mae"], "80 % range held": t["coverage_80"],
                         "95 % range held": t["coverage_95"]}).reset_index(drop=True)


def method_scores(result: DemandAnalysis) -> pd.DataFrame:
    """MASE of every candidate per series (categories and the total), methods in words."""
    parts = [result.backtest.scores]
    if result.backtest_total is not None:
        parts.append(result.backtest_total.scores)
    s = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"series": s["series"].astype(str),
                         "method": s["method"].map(method_label), "MASE": s["mase"]})


def output_tables(result: DemandAnalysis) -> dict[str, pd.DataFrame]:
    """The tables notebook 02 writes for other reports and tools (those the data allowed)."""
    out = {"demand_weekly": result.weekly, "demand_monthly": result.monthly,
           "demand_forecast": result.forecast}
    checks = [bt.choice for bt in (result.backtest, result.backtest_total) if bt is not None]
    if checks:
        out["demand_backtest"] = (pd.concat(checks).rename_axis("series").reset_index()
                                  .astype({"series": "string"}))
    if result.pairs is not None:
        out["product_pairs"] = result.pairs
    return out


def pairs_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Top pairs in words: A, B, orders together, support, confidences and lift."""
    return pd.DataFrame({"A": pairs["item_a"].astype(str), "B": pairs["item_b"].astype(str),
                         "orders together": pairs["together"], "support": pairs["support"],
                         "A then B": pairs["confidence_a_b"],
                         "B then A": pairs["confidence_b_a"], "lift": pairs["lift"]})


def tickets_table(topics: pd.DataFrame) -> pd.DataFrame:
    """Ticket topics in words (see :func:`crm_analysis.demand.ticket_topics`)."""
    return topics.rename(columns={"share_of_type": "share of type", "recent": "last 6 months",
                                  "earlier": "6 months before", "change": "change"})


def headline_metrics(result: DemandAnalysis, forecast_weeks: int) -> list[dict]:
    """The report's headline numbers as ``record_metric`` keyword arguments; a number the data
    could not give is ``None`` with the reason."""
    check = headline_check(result)
    c = {} if check is None else check.to_dict()
    no_backtest = None if c else "no forecast backtest on this history"
    dec = result.decomposition
    no_season = None if dec else "a yearly decomposition needs two years of weekly data"
    fc = forecast_total(result)
    out = [{"name": name, "value": c.get(key), "label": label, "fmt": fmt, "reason": no_backtest}
           for name, key, label, fmt in (
               ("demand_forecast_mase", "mase", "Forecast MASE (backtest)", ".2f"),
               ("demand_rule_mase", "rule_mase", "Best simple rule MASE", ".2f"),
               ("demand_forecast_mae", "mae", "Forecast MAE per week", ",.0f"),
               ("demand_rule_mae", "rule_mae", "Best simple rule MAE per week", ",.0f"),
               ("demand_interval_coverage_80", "coverage_80", "80% range held", ".0%"),
               ("demand_interval_coverage_95", "coverage_95", "95% range held", ".0%"))]
    out.append(verdict(result).metric("demand_forecast_verdict", "Demand forecast reliability"))
    out.append({"name": "demand_forecast_method",
                "value": method_label(c["method"]) if c else None,
                "label": "Forecast method (chosen by backtest)", "reason": no_backtest})
    out += [
        {"name": "weekly_revenue_seasonal_strength",
         "value": dec.seasonal_strength if dec else None, "label": "Yearly season strength",
         "fmt": ".2f", "reason": no_season},
        {"name": "weekly_revenue_trend_strength", "value": dec.trend_strength if dec else None,
         "label": "Trend strength", "fmt": ".2f", "reason": no_season},
        {"name": "top_pair_lift",
         "value": result.pairs["lift"].iloc[0] if result.pairs is not None and len(result.pairs)
         else None, "label": "Top product pair lift", "fmt": ".1f",
         "reason": "no product pairs (order_items missing or too few baskets)"},
        {"name": "categories", "value": len(result.categories) if result.by else 0,
         "label": "Categories", "fmt": "d"},
        {"name": f"forecast_{result.measure}_next_weeks",
         "value": fc["forecast"].sum() if len(fc) else None,
         "label": f"{result.measure.capitalize()} forecast, next {forecast_weeks} weeks",
         "fmt": ",.0f",
         "reason": "no forecast on this history"},
        *({"name": f"forecast_{result.measure}_{end}", "value": fc[col].sum() if len(fc) else None,
           "label": f"{result.measure.capitalize()} forecast, {words} of the weekly 80% ranges "
                    "added up", "fmt": ",.0f", "reason": "no forecast on this history"}
          for end, col, words in (("lo", "lower_80", "low end"), ("hi", "upper_80", "high end"))),
        *year_on_year(result),
    ]
    return out


def year_on_year(result: DemandAnalysis) -> list[dict]:
    """The last 52 weeks up to the snapshot and their change on the 52 weeks before, in the
    report's measure (revenue, or orders without amounts), as ``record_metric`` arguments."""
    series = result.daily.series(result.measure)
    day = pd.DatetimeIndex(series.index)
    end, weeks = result.as_of, pd.Timedelta(weeks=52)
    first = day.min() if len(day) else end
    last_year = float(series[(day > end - weeks) & (day <= end)].sum())
    before = float(series[(day > end - 2 * weeks) & (day <= end - weeks)].sum())
    full = first <= end - weeks + pd.Timedelta(days=1)
    long_enough = first <= end - 2 * weeks + pd.Timedelta(days=1)
    two = long_enough and before > 0
    what = result.measure
    return [
        {"name": f"{what}_last_52_weeks", "value": last_year if full else None,
         "label": f"{what.capitalize()}, last 52 weeks", "fmt": ",.0f",
         "reason": "the history is shorter than 52 weeks"},
        {"name": f"{what}_vs_year_before", "value": last_year / before - 1 if two else None,
         "label": f"{what.capitalize()}, last 52 weeks against the 52 before", "fmt": "+.1%",
         "reason": "nothing was sold in the 52 weeks before" if long_enough else
                   "the history is shorter than two years"},
    ]
