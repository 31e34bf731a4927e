"""A run's ``index.html``: what ran, with which parameters, how it went, headline numbers."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

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


def index_html(manifest: Mapping[str, Any]) -> str:
    """Render the index page of a run from its ``run.json`` content.

    Parameters
    ----------
    manifest : mapping
        The run manifest written to ``run.json`` (see :mod:`crm_analysis.reports.runner`).

    Returns
    -------
    str
        A self-contained HTML document.
    """
    run_id = str(manifest["run_id"])
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
    body = (
        f"<h1>CRM analysis reports \u00b7 run {html.escape(run_id)}</h1>\n"
        f'<dl class="facts">{fact_html}</dl>\n'
        "<h2>Reports</h2>\n"
        '<table class="runs"><thead><tr><th>Report</th><th>Status</th><th>Time</th>'
        "<th>Headline numbers</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>\n"
        "<h2>Parameters</h2>\n" + _parameters_table(manifest.get("parameters", {})) + "\n"
        '<p><small>Details: <a href="run.json">run.json</a> \u00b7 '
        '<a href="run.log">run.log</a></small></p>'
    )
    return page(f"CRM analysis reports \u00b7 {run_id}", body, css=_CSS)
