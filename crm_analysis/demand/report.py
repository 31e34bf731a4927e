"""What notebook 02 says: key findings written from the numbers, and tables in plain words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.demand.analysis import ALL_ORDERS, TOTAL, DemandAnalysis
from crm_analysis.demand.forecast import baseline_lag
from crm_analysis.demand.seasonality import strength_words
from crm_analysis.markup import Markup, md


def _pct(value: float, signed: bool = True) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:+.0%}" if signed else f"{value:.0%}"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def forecast_total(result: DemandAnalysis) -> pd.DataFrame:
    """The forecast of total weekly revenue (all categories), one row per week ahead."""
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
        detail = md(" ({units:,.0f} units{cats})", units=units, cats=md(
            " in {n} categories", n=len(result.categories)) if result.by else Markup(""))
    out.append(md("From {first:%d %b %Y} to {last:%d %b %Y} there were **{orders:,} orders** "
                  "worth **{revenue}**{detail}.", first=daily.first_day, last=result.snapshot,
                  orders=daily.orders, revenue=Markup(_money(daily.revenue)), detail=detail))
    g = result.growth
    total = g[g["group"] == (TOTAL if result.by else ALL_ORDERS)].dropna(subset=["value"])
    if len(total):
        last = total.iloc[-1]
        out.append(md("Revenue in {month:%B %Y} was {value}: {year} on the same month a year "
                      "before and {previous} on the month before.", month=last["period"],
                      value=Markup(_money(last["value"])), year=Markup(_pct(last["vs_year_ago"])),
                      previous=Markup(_pct(last["vs_previous"]))))
    if result.by:
        latest = g[(g["period"] == g["period"].max()) & (g["group"] != TOTAL)]
        latest = latest.dropna(subset=["vs_year_ago"])
        if len(latest):
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
                      "{season_words} ({season:.2f}, 0 = none, 1 = all): revenue runs {hi} "
                      "against trend in {hi_month} and {lo} in {lo_month}.",
                      trend_words=strength_words(dec.trend_strength), trend=dec.trend_strength,
                      season_words=strength_words(dec.seasonal_strength),
                      season=dec.seasonal_strength, hi=Markup(_pct(hi["effect"])),
                      hi_month=hi["month"], lo=Markup(_pct(lo["effect"])), lo_month=lo["month"]))
    wd = result.weekday.dropna(subset=["index"])
    if len(wd):
        top, low = wd.loc[wd["index"].idxmax()], wd.loc[wd["index"].idxmin()]
        out.append(md("Busiest weekday: {top} ({top_change} on an average day); quietest: {low} "
                      "({low_change}).", top=top["weekday"],
                      top_change=Markup(_pct(top["index"] - 1)), low=low["weekday"],
                      low_change=Markup(_pct(low["index"] - 1))))
    fc = forecast_total(result)
    if len(fc):
        out.append(md("Forecast for the next {weeks} weeks: **{total}** in revenue, between "
                      "{low} and {high} a week.", weeks=len(fc),
                      total=Markup(_money(fc["forecast"].sum())),
                      low=Markup(_money(fc["forecast"].min())),
                      high=Markup(_money(fc["forecast"].max()))))
    bt = result.backtest
    if bt is not None:
        o = bt.overall
        gain = 1 - o["mae"] / o["baseline_mae"] if o["baseline_mae"] > 0 else float("nan")
        verdict = "beats" if o["mase"] < o["baseline_mase"] else "does not beat"
        rule = ("the seasonal naive rule (same week last year)"
                if baseline_lag(len(result.weekly_series())) == 52 else
                "the naive rule (last week's value; a year-ago rule needs two years)")
        out.append(md("Checked on {o[origins]} past cut-offs, the forecast {verdict} {rule}: "
                      "MASE {o[mase]:.2f} against {o[baseline_mase]:.2f}, errors {gain} "
                      "{direction}; its 80 % ranges held {c80} of the weeks and its 95 % ranges "
                      "{c95}.", o=o, verdict=verdict, rule=rule,
                      gain=Markup(_pct(abs(gain), signed=False)),
                      direction="smaller" if gain >= 0 else "larger",
                      c80=Markup(_pct(o["coverage_80"], False)),
                      c95=Markup(_pct(o["coverage_95"], False))))
    if result.pairs is not None and len(result.pairs):
        p = result.pairs.iloc[0]
        out.append(md("Products bought together most above chance: {a} and {b}, in {n:,} "
                      "orders, {lift:.1f} times as often as chance predicts.", a=p["item_a"],
                      b=p["item_b"], n=p["together"], lift=p["lift"]))
    if result.ticket_topics is not None and len(result.ticket_topics):
        complaints = result.ticket_topics[result.ticket_topics["type"] == "complaint"]
        if len(complaints):
            c = complaints.iloc[0]
            out.append(md("The most common complaint is **{topic}** ({share} of complaints).",
                          topic=c["topic"], share=Markup(_pct(c["share_of_type"], False))))
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def growth_table(result: DemandAnalysis) -> pd.DataFrame:
    """Last complete month per category: revenue, change on month before and on year before."""
    from crm_analysis.demand.aggregate import latest_growth

    t = latest_growth(result.growth)
    return pd.DataFrame({"category": t["group"].astype(str), "revenue": t["value"],
                         "vs month before": t["vs_previous"], "vs year before": t["vs_year_ago"]})


def movers_table(result: DemandAnalysis) -> pd.DataFrame:
    """Top product movers with plain column names (product id, category, before, after)."""
    m = result.movers
    cols = {"product_id": "product", "category": "category", "before": "revenue before",
            "after": "revenue last 13 weeks", "change": "change", "change_pct": "change %",
            "direction": "direction"}
    return m[[c for c in cols if c in m]].rename(columns=cols)


def backtest_table(result: DemandAnalysis) -> pd.DataFrame:
    """MASE, MAE and interval coverage per category, then overall and the total series."""
    bt = result.backtest
    rows = bt.by_series.assign(series=bt.by_series["series"].astype(str))
    overall = pd.DataFrame([{"series": "Overall (mean of categories)", **bt.overall}])
    parts = [rows, overall]
    if result.backtest_total is not None:
        parts.append(result.backtest_total.by_series.assign(series=f"{TOTAL} (one series)"))
    t = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"series": t["series"], "MASE forecast": t["mase"],
                         "MASE seasonal naive": t["baseline_mase"],
                         "MAE forecast / week": t["mae"], "MAE seasonal naive / week":
                         t["baseline_mae"], "80 % range held": t["coverage_80"],
                         "95 % range held": t["coverage_95"]})


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
    bt = result.backtest.overall if result.backtest is not None else {}
    no_backtest = None if bt else "no forecast backtest on this history"
    dec = result.decomposition
    no_season = None if dec else "a yearly decomposition needs two years of weekly data"
    fc = forecast_total(result)
    out = [{"name": name, "value": bt.get(key), "label": label, "fmt": fmt, "reason": no_backtest}
           for name, key, label, fmt in (
               ("demand_forecast_mase", "mase", "Forecast MASE (backtest)", ".2f"),
               ("demand_baseline_mase", "baseline_mase", "Seasonal naive MASE", ".2f"),
               ("demand_forecast_mae", "mae", "Forecast MAE per week", ",.0f"),
               ("demand_baseline_mae", "baseline_mae", "Seasonal naive MAE per week", ",.0f"),
               ("demand_interval_coverage_80", "coverage_80", "80% range held", ".0%"),
               ("demand_interval_coverage_95", "coverage_95", "95% range held", ".0%"))]
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
        {"name": "forecast_revenue_next_weeks",
         "value": fc["forecast"].sum() if len(fc) else None,
         "label": f"Revenue forecast, next {forecast_weeks} weeks", "fmt": ",.0f",
         "reason": "no forecast on this history"},
    ]
    return out
