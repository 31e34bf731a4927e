"""What the front page of a run says: key numbers, actions, how far to trust each analysis.

Everything comes from the run's manifest (the headline numbers each notebook records with
:func:`~crm_analysis.reports.record_metric`) and from the manifests of earlier runs of the same
data; nothing is computed here that a report page does not show. Each piece returns HTML with
every value escaped (data set names and list names come from the data).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm_analysis.reports.history import metric, recorded, series, sparkline
from crm_analysis.reports.metrics import format_metric

Manifest = Mapping[str, Any]

READING_ORDER = ("02_demand_analysis", "03_customer_value", "05_churn_prediction",
                 "06_customer_potential", "04_customer_behaviour", "01_data_cleaning")
"""The report pages as a stakeholder reads them: the business first, data quality last."""

VERDICTS = {"02_demand_analysis": ("demand_forecast_verdict", "Demand forecast"),
            "03_customer_value": ("value_verdict", "Customer value"),
            "05_churn_prediction": ("churn_verdict", "Churn ranking"),
            "06_customer_potential": ("potential_verdict", "Future value")}
"""The reliability verdict each model-based report records, and what it judges."""

LIGHTS = {"reliable": ("green", "reliable"), "use with care": ("amber", "use with care"),
          "not reliable on this data": ("red", "not reliable on this data")}


@dataclass(frozen=True)
class Kpi:
    """One tile: the first of ``names`` the run recorded (revenue, else orders for a log
    without amounts), a comparison recorded beside it, whether it is money, the range
    recorded beside it, and (a forecast) the metrics naming its method and its verdict."""

    notebook: str
    names: tuple[str, ...]
    compare: tuple[str, ...] = ()
    compare_words: str = ""
    money: bool = False
    range_: tuple[str, str] | None = None
    method: tuple[str, str] | None = None


KPIS = (
    Kpi("02_demand_analysis", ("revenue_last_52_weeks", "orders_last_52_weeks"),
        ("revenue_vs_year_before", "orders_vs_year_before"), "on the 52 weeks before", True),
    Kpi("05_churn_prediction", ("active_customers",)),
    Kpi("03_customer_value", ("repeat_rate",)),
    Kpi("05_churn_prediction", ("churn_value_at_risk_total",), money=True),
    Kpi("02_demand_analysis", ("forecast_revenue_next_weeks", "forecast_orders_next_weeks"),
        money=True, range_=("lo", "hi"),
        method=("demand_forecast_method", "demand_forecast_verdict")),
)
"""The front page's tiles, in order."""


def currency(manifest: Manifest) -> str | None:
    """The currency code the mapping records, or None."""
    value = metric(manifest, "01_data_cleaning", "currency")
    return str(value) if value else None


def counts_orders(manifest: Manifest) -> bool:
    """True when the run's demand report counted orders: the export had no amounts."""
    return recorded(manifest, "02_demand_analysis", "orders_last_52_weeks") is not None


def _amount(value: Any, fmt: str | None, money: bool, code: str | None) -> str:
    text = format_metric(value, fmt)
    return f"{code} {text}" if money and code and value is not None else text


def _change(now: float, before: float) -> str:
    if not before:
        return ""
    return f"{now / before - 1:+.0%}"


def kpi_tiles(manifest: Manifest, earlier: Sequence[Manifest] = ()) -> str:
    """The tiles: value with its unit, its comparison, the change since the previous
    successful run and a small trend line over the runs (HTML)."""
    code = currency(manifest)
    tiles = []
    for kpi in KPIS:
        name = next((n for n in kpi.names if recorded(manifest, kpi.notebook, n)), None)
        if name is None:
            continue
        m = recorded(manifest, kpi.notebook, name) or {}
        money = kpi.money and not name.startswith(("orders_", "forecast_orders"))
        value = m.get("value")
        lines = []
        if value is None:
            lines.append(str(m.get("reason") or "not computed"))
        for comp in kpi.compare:
            c = recorded(manifest, kpi.notebook, comp)
            if c and c.get("value") is not None:
                lines.append(f"{format_metric(c['value'], c.get('fmt'))} {kpi.compare_words}")
            elif c and value is not None and c.get("reason"):
                lines.append(f"No comparison: {c['reason']}")
        if kpi.range_ and value is not None:
            lo, hi = (recorded(manifest, kpi.notebook, f"{name.rsplit('_next', 1)[0]}_{end}")
                      for end in kpi.range_)
            if lo and hi and lo.get("value") is not None and hi.get("value") is not None:
                lines.append(f"80% weekly ranges added up: {format_metric(lo['value'], ',.0f')}"
                             f" to {format_metric(hi['value'], ',.0f')}")
        if kpi.method and value is not None:  # a forecast says how it was made and its trust
            how, trust = (metric(manifest, kpi.notebook, n) for n in kpi.method)
            if how and trust:
                lines.append(f"by {how}: {trust}")
        points = series([*earlier, manifest], kpi.notebook, name)
        if len(points) >= 2 and value is not None:
            change = _change(points[-1][1], points[-2][1])
            if change:
                lines.append(f"{change} since the run of {points[-2][0]}")
        small = "".join(f"<small>{html.escape(line)}</small>" for line in lines)
        tiles.append(
            '<div class="tile">'
            f'<div class="tile-label">{html.escape(str(m.get("label") or name))}</div>'
            f'<div class="tile-value">{html.escape(_amount(value, m.get("fmt"), money, code))}'
            f"</div>{small}{sparkline(points)}</div>")
    return f'<div class="tiles">{"".join(tiles)}</div>' if tiles else ""


@dataclass(frozen=True)
class Action:
    """One thing to do now: a count of customers on a list, and the money it concerns."""

    notebook: str
    list_file: str
    count: str
    money: str | None
    words: str
    money_words: str


ACTIONS = (
    Action("05_churn_prediction", "churn_call_list.csv", "churn_high_risk_customers",
           "churn_high_risk_value", "Call the {n} customers at high churn risk first",
           "they hold {money} of value at risk"),
    Action("03_customer_value", "win_back_list.csv", "win_back_customers", "win_back_revenue",
           "Win back the {n} At Risk and Can't Lose customers", "they brought {money} so far"),
    Action("06_customer_potential", "target_list.csv", "target_list_customers",
           "targeting_expected_profit", "Contact the {n} customers on the target list",
           "expected incremental profit {money}"),
)
"""The actions of the front page, each linked to its list."""


def actions(manifest: Manifest, lists: Mapping[str, str]) -> str:
    """'What to do now': each action whose notebook ran, whose list was published and has
    customers, with the count and the money (HTML list, or a sentence when there is none)."""
    code = currency(manifest)
    items = []
    for act in ACTIONS:
        n = metric(manifest, act.notebook, act.count)
        if not n or act.list_file not in lists:
            continue
        text = act.words.format(n=f"{n:,}")
        amount = metric(manifest, act.notebook, act.money) if act.money else None
        if amount is not None:
            text += ": " + act.money_words.format(money=_amount(amount, ",.0f", True, code))
        href = html.escape(lists[act.list_file], quote=True)
        items.append(f'<li>{html.escape(text)}. <a href="{href}">The list (CSV)</a></li>')
    if not items:
        return "<p>No list to act on came out of this run.</p>"
    return f'<ol class="actions">{"".join(items)}</ol>'


def lights(manifest: Manifest) -> str:
    """One reliability light per model-based report, with its one-line reason (HTML)."""
    items = []
    for notebook, (name, what) in VERDICTS.items():
        m = recorded(manifest, notebook, name)
        if not m:
            continue
        colour, words = LIGHTS.get(str(m.get("value")), ("grey", str(m.get("value"))))
        reason = m.get("note") or m.get("reason") or ""
        items.append(f'<li><span class="light {colour}" aria-hidden="true"></span>'
                     f"<strong>{html.escape(what)}</strong>: {html.escape(words)}"
                     f"<br><small>{html.escape(str(reason))}</small></li>")
    for nb in manifest.get("notebooks", []):
        if nb.get("status") != "ok" and nb.get("name") in VERDICTS:
            items.append(f'<li><span class="light red" aria-hidden="true"></span>'
                         f"<strong>{html.escape(VERDICTS[nb['name']][1])}</strong>: "
                         "not produced in this run</li>")
    return f'<ul class="lights">{"".join(items)}</ul>' if items else ""


TAKEAWAYS = {
    "01_data_cleaning": ("{orders_clean} orders after cleaning, from {orders_raw} rows.",
                         "{rows_changed} values repaired."),
    "02_demand_analysis": ("Forecast of the next 12 weeks: {forecast}.",),
    "03_customer_value": ("{customers} customers, {repeat_rate} of them bought more than once.",
                          "The top 10% bring {top10_revenue_share} of revenue."),
    "04_customer_behaviour": ("{retention_month3} of a cohort buys in its third month.",
                              "80% of repeat purchases come within {interpurchase_p80_days} "
                              "days."),
    "05_churn_prediction": ("{churn_high_risk_customers} of {active_customers} active customers "
                            "are at high risk of stopping.",),
    "06_customer_potential": ("{target_list_customers} customers on the target list.",),
}
"""One line per page, sentence by sentence from its headline numbers; a sentence with a number
the run could not give is left out."""


def takeaway(nb: Mapping[str, Any]) -> str:
    """The page's one line from :data:`TAKEAWAYS` (the sentences whose numbers exist)."""
    templates = TAKEAWAYS.get(str(nb.get("name")), ())
    metrics = nb.get("metrics", {})
    values = {}
    for key, m in metrics.items():
        if m.get("value") is not None:
            values[key] = format_metric(m["value"], m.get("fmt"))
    forecast = metrics.get("forecast_revenue_next_weeks") or metrics.get(
        "forecast_orders_next_weeks")
    if forecast and forecast.get("value") is not None:
        values["forecast"] = (format_metric(forecast["value"], forecast.get("fmt")) + (
            " orders" if "orders" in str(forecast.get("label", "")).lower() else ""))
    out = []
    for template in templates:
        try:
            out.append(template.format(**values))
        except (KeyError, IndexError):
            continue
    return " ".join(out)


def pages(manifest: Manifest) -> str:
    """The report pages in reading order, each with its one line or, failed, why (HTML)."""
    by_name = {nb["name"]: nb for nb in manifest.get("notebooks", [])}
    order = [n for n in READING_ORDER if n in by_name] + [
        n for n in by_name if n not in READING_ORDER]
    items = []
    for name in order:
        nb = by_name[name]
        title = html.escape(str(nb.get("title") or name))
        link = (f'<a href="{html.escape(name, quote=True)}.html">{title}</a>' if nb.get("html")
                else title)
        if nb.get("status") == "ok":
            line = takeaway(nb)
        elif nb.get("status") == "skipped":
            line = "Not produced: a report it needs did not finish."
        else:
            message = (nb.get("error") or {}).get("message", "")
            line = f"Not finished: {message}" if message else "Not finished."
        items.append(f"<li>{link}<br><small>{html.escape(line)}</small></li>")
    return f'<ul class="pages">{"".join(items)}</ul>'
