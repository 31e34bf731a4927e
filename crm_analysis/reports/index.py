"""A run's ``index.html``: the front page a stakeholder reads in a minute, then, folded away,
what ran, with which parameters, how it went and every headline number.

The front page (:mod:`crm_analysis.reports.front`): the data set, the as-of date and the
currency; the key numbers with their comparisons and trend over earlier runs; what to do now,
linked to the published lists; how far to trust each analysis; one chart; the pages in reading
order, each with one line.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from crm_analysis.reports import front
from crm_analysis.reports.history import metric
from crm_analysis.reports.html import page
from crm_analysis.reports.metrics import format_metric

_CSS = """
table.runs td, table.runs th { text-align: left; vertical-align: top; }
table.runs td.num { text-align: right; }
ul.metrics { list-style: none; margin: 0; padding: 0; }
ul.metrics li { margin: 0 0 .15em; } .metric-value { font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; }
dl.facts dt { color: #57606a; } dl.facts dd { margin: 0; }
.badge { font-weight: 600; text-transform: uppercase; font-size: .85rem; }
.lede { color: #57606a; margin-top: -.4em; }
main { max-width: 1320px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: .8em;
         margin: .8em 0; }
.tile { border: 1px solid #d0d7de; border-radius: 6px; padding: .6em .8em; }
.tile small { display: block; color: #57606a; line-height: 1.3; }
.tile-label { color: #57606a; font-size: .9rem; }
.tile-value { font-size: 1.6rem; font-weight: 600; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5em; }
ol.actions li, ul.lights li, ul.pages li { margin: 0 0 .45em; }
ul.lights, ul.pages { list-style: none; padding: 0; }
.light { display: inline-block; width: .8em; height: .8em; border-radius: 50%;
         margin-right: .4em; vertical-align: baseline; }
.light.green { background: #1a7f37; } .light.amber { background: #bf8700; }
.light.red { background: #cf222e; } .light.grey { background: #8c959f; }
img.trend { max-width: 100%; height: auto; }
details.run { margin-top: 2em; }
"""

_STATUS_WORDS = {"ok": "ok", "failed": "failed", "skipped": "skipped"}


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _parameters_table(parameters: Mapping[str, Mapping[str, Any]]) -> str:
    names = sorted({name for values in parameters.values() for name in values})
    if not names:
        return "<p>No notebook of this run declares parameters.</p>"
    rows = []
    for name in names:
        used = {nb: values[name] for nb, values in parameters.items() if name in values}
        distinct = {json.dumps(v, sort_keys=True, default=str) for v in used.values()}
        if len(distinct) == 1:
            shown = html.escape(_value(next(iter(used.values()))))
        else:
            shown = "<br>".join(
                f"{html.escape(nb)}: {html.escape(_value(v))}" for nb, v in used.items()
            )
        rows.append(
            f'<tr><th scope="row">{html.escape(name)}</th><td>{shown}</td>'
            f"<td>{html.escape(', '.join(used))}</td></tr>"
        )
    return (
        '<table class="runs"><thead><tr><th>Parameter</th><th>Value</th><th>Used by</th></tr>'
        "</thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _metrics_list(metrics: Mapping[str, Mapping[str, Any]]) -> str:
    if not metrics:
        return ""
    items = "".join(
        f'<li>{html.escape(str(m.get("label") or name))}: <span class="metric-value">'
        f"{html.escape(format_metric(m.get('value'), m.get('fmt')))}</span>"
        + "".join(f" <small>({html.escape(str(m[key]))})</small>"
                  for key in ("reason", "note") if m.get(key))
        + "</li>"
        for name, m in metrics.items()
    )
    return f'<ul class="metrics">{items}</ul>'


def _run_details(manifest: Mapping[str, Any]) -> str:
    """What ran, how it went, every headline number and the parameters, folded away."""
    status = str(manifest["status"])
    rows = []
    for nb in manifest["notebooks"]:
        name = html.escape(nb["name"])
        title = html.escape(nb.get("title") or nb["name"])
        link = f'<a href="{name}.html">{title}</a>' if nb.get("html") else title
        files = f' <small>(<a href="{name}.ipynb">notebook</a>)</small>' if nb.get("ipynb") else ""
        error = nb.get("error")
        note = f"<br><small>{html.escape(error['message'])}</small>" if error else ""
        duration = nb.get("duration_seconds")
        shown = f"{duration:.1f} s" if duration is not None else "\u2013"
        word = _STATUS_WORDS.get(nb["status"], nb["status"])
        rows.append(
            f"<tr><td>{link}{files}<br><small>{name}</small></td>"
            f'<td><span class="badge {html.escape(nb["status"])}">{word}</span>{note}</td>'
            f'<td class="num">{shown}</td><td>{_metrics_list(nb.get("metrics", {}))}</td></tr>'
        )
    counts = {s: sum(nb["status"] == s for nb in manifest["notebooks"]) for s in _STATUS_WORDS}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    data = manifest.get("data", {})
    versions = manifest.get("versions", {})
    files = data.get("files", 0)
    commit = str((manifest.get("git") or {}).get("commit") or "n/a")[:12]
    facts = [
        (
            "Status",
            f'<span class="badge {html.escape(status)}">{html.escape(status)}</span> '
            f"({html.escape(summary)})",
        ),
        ("Started (UTC)", html.escape(str(manifest.get("started")))),
        ("Finished (UTC)", html.escape(str(manifest.get("finished")))),
        (
            "Data",
            f"{files} raw file{'' if files == 1 else 's'}, fingerprint "
            f"<code>{html.escape(str(data.get('sha256', ''))[:16])}</code>",
        ),
        (
            "Code",
            f"crm_analysis {html.escape(str(versions.get('crm_analysis')))}, git "
            f"<code>{html.escape(commit)}</code>",
        ),
        (
            "Run settings",
            html.escape(
                ", ".join(f"{k} {v}" for k, v in (manifest.get("settings") or {}).items())
                or "none (transaction engine: pandas)"
            ),
        ),
    ]
    fact_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    return (
        '<details class="run"><summary>About this run: settings, parameters, every headline '
        "number and model coefficient</summary>\n"
        f'<dl class="facts">{fact_html}</dl>\n'
        '<table class="runs"><thead><tr><th>Report</th><th>Status</th><th>Time</th>'
        "<th>Headline numbers</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
        "<h3>Parameters</h3>\n" + _parameters_table(manifest.get("parameters", {})) + "\n"
        '<p><small>Details: <a href="run.json">run.json</a> \u00b7 '
        '<a href="run.log">run.log</a></small></p></details>'
    )


def index_html(manifest: Mapping[str, Any], *, earlier: Sequence[Mapping[str, Any]] = (),
               chart: str = "", lists: Mapping[str, str] | None = None) -> str:
    """Render the front page of a run from its ``run.json`` content.

    Parameters
    ----------
    manifest : mapping
        The run manifest written to ``run.json`` (see :mod:`crm_analysis.reports.runner`).
    earlier : sequence of mappings
        Manifests of the earlier successful runs of the same data, oldest first
        (:func:`crm_analysis.reports.history.earlier_runs`): changes and trend lines.
    chart : str
        The trend chart's ``<img>`` (:func:`crm_analysis.reports.trend_chart.trend_chart`).
    lists : mapping, optional
        Published list file name -> link relative to the page (``lists/...``).

    Returns
    -------
    str
        A self-contained HTML document.
    """
    run_id = str(manifest["run_id"])
    lists = lists or {}
    name = metric(manifest, "01_data_cleaning", "data_set") or str(
        (manifest.get("data") or {}).get("raw_dir", ""))
    day = metric(manifest, "01_data_cleaning", "snapshot_date")
    code = front.currency(manifest)
    as_of = f" as of {day}" if day else ""
    money = (f"Amounts in {code}." if code else "Amounts in the export's currency.")
    if front.counts_orders(manifest):
        money = "The orders carry no amounts: the numbers count orders and customers."
    failed = [nb for nb in manifest["notebooks"] if nb["status"] != "ok"]
    alert = ""
    if failed:
        alert = ('<div class="banner failed" role="alert"><strong>'
                 f"{len(failed)} of {len(manifest['notebooks'])} reports did not finish"
                 "</strong>: see the list of pages below for why.</div>\n")
    tiles = front.kpi_tiles(manifest, earlier)
    body = (
        f"<h1>{html.escape(str(name))}{html.escape(as_of)}</h1>\n"
        f'<p class="lede">{html.escape(money)} From run {html.escape(run_id)}.</p>\n{alert}'
        f"{tiles}\n"
        '<div class="columns"><section><h2>What to do now</h2>'
        f"{front.actions(manifest, lists)}</section>"
        f"<section><h2>How far to trust each analysis</h2>{front.lights(manifest)}</section>"
        "</div>\n"
        f"{chart}\n"
        f"<h2>The reports</h2>\n{front.pages(manifest)}\n"
        + _run_details(manifest)
    )
    return page(f"CRM analysis \u00b7 {name}{as_of}", body, css=_CSS)
