"""Stakeholder HTML for one executed notebook: prose, tables and figures, no code.

The page is self-contained (inline CSS, figures as base64 PNG, no script or stylesheet fetched
from the web). Removed from the notebook before export: code input and prompts, the
``parameters`` and papermill's ``injected-parameters`` cells, cells tagged ``remove-cell``,
outputs of cells tagged ``remove-output``, stderr streams (warnings), error outputs, metric
outputs and papermill's own error marker. A failed notebook gets a banner at the top that says
in plain words where and why it stopped.
"""

from __future__ import annotations

import copy
import functools
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_analysis.reports.metrics import is_metric_output

HIDDEN_CELL_TAGS = frozenset(
    {"parameters", "injected-parameters", "papermill-error-cell-tag", "remove-cell"}
)
"""Cells with one of these tags are left out of the page entirely."""

APPENDIX_TAG = "appendix"
"""A markdown heading cell with this tag starts an appendix: it and the cells after it, up to the
next level-2 heading, go to the end of the page, folded (``<details>``). A cell tagged
``appendix:<title>`` goes alone into the appendix of that title (e.g. the checks against the
generator's truth on synthetic data), and the body goes on without it."""

ACTION_TAG = "action"
"""A markdown heading cell with this tag starts what the reader should do (a list to call, to
win back, to contact): its section, up to the next level-2 heading, is shown right after the
page's first section (the key findings), before the evidence."""

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)

BASE_CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
nav.run { max-width: 62rem; margin: 0 auto; padding: .6rem 2rem; font-size: .9rem;
  color: #57606a; }
h1, h2, h3 { line-height: 1.25; margin: 1.6em 0 .5em; }
h1 { font-size: 1.9rem; margin-top: .6em; }
h2 { font-size: 1.4rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
h3 { font-size: 1.15rem; }
a { color: #0b5cad; } a.anchor-link { display: none; }
img, svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92rem;
  font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: .3em .6em; text-align: right; max-width: 32rem;
  overflow-wrap: anywhere; }
th { overflow-wrap: break-word; hyphens: auto; }
th { background: #f0f2f5; } tbody tr:nth-child(even) { background: #fafbfc; }
pre { white-space: pre-wrap; background: #f6f8fa; padding: .6em .8em; border-radius: 4px;
  font-size: .88rem; overflow-x: auto; }
.output_area, .output_subarea { margin: .4em 0; }
.banner { border-radius: 6px; padding: 1rem 1.2rem; margin: 1rem 0 1.5rem; }
.banner.failed { background: #fff1f0; border: 2px solid #cf222e; color: #82071e; }
.banner.failed strong { font-size: 1.15rem; }
.banner p { margin: .4em 0 0; }
.ok { color: #1a7f37; } .failed { color: #cf222e; } .skipped { color: #9a6700; }
footer { max-width: 62rem; margin: 0 auto; padding: 1rem 2rem; color: #57606a;
  font-size: .85rem; }
nav.toc { font-size: .92rem; color: #57606a; margin: 1em 0; padding: .5em .8em;
  background: #f6f8fa; border-radius: 6px; }
section.appendix details { border: 1px solid #d0d7de; border-radius: 6px; padding: .4em .8em;
  margin: .6em 0; }
section.appendix summary { cursor: pointer; font-weight: 600; }
"""


@dataclass(frozen=True)
class Failure:
    """Why a notebook stopped, in terms a reader of the page understands.

    Attributes
    ----------
    kind : str
        ``"error"`` (an exception in a cell) or ``"timeout"`` (a cell ran too long).
    ename, evalue : str
        Exception type and message (no traceback).
    step : int or None
        1-based position of the failing cell among the visible code cells.
    section : str or None
        The last markdown heading before the failing cell.
    timeout : float or None
        The per-cell limit in seconds, for timeouts.
    cell : int or None
        Index of the failing cell in the notebook; the page ends there.
    """

    kind: str
    ename: str
    evalue: str
    step: int | None = None
    section: str | None = None
    timeout: float | None = None
    cell: int | None = None

    def sentence(self) -> str:
        """The failure in one plain sentence (also used in the run log)."""
        where = f"step {self.step}" if self.step else "a step"
        if self.section:
            where += f" (section \u201c{self.section}\u201d)"
        if self.kind == "timeout":
            limit = f"{self.timeout:g} seconds" if self.timeout else "the time limit"
            return f"The analysis stopped at {where}: it did not finish within {limit}."
        message = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return f"The analysis stopped at {where} with an error: {message}"


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours exception messages)."""
    return _ANSI.sub("", text)


def _tags(cell: Mapping[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def _headings(cell: Mapping[str, Any]) -> list[str]:
    if cell.get("cell_type") != "markdown":
        return []
    text = re.sub(r"<[^>]+>", "", str(cell.get("source", "")))
    return [h.strip() for h in _HEADING.findall(text)]


def notebook_title(nb: Mapping[str, Any], default: str) -> str:
    """The first markdown heading of the notebook, else ``default``."""
    for cell in nb.get("cells", []):
        if _tags(cell) & HIDDEN_CELL_TAGS:
            continue
        found = _headings(cell)
        if found:
            return found[0]
    return default


def find_failure(
    nb: Mapping[str, Any], *, kind: str, ename: str, evalue: str, timeout: float | None = None
) -> Failure:
    """Locate the failing cell of an executed notebook and describe it.

    The failing cell is the one papermill marked with ``exception``; else the first cell with
    an error output; else (a timeout) the last cell that started.
    """
    cells = list(nb.get("cells", []))
    code = [
        i
        for i, c in enumerate(cells)
        if c.get("cell_type") == "code" and not _tags(c) & HIDDEN_CELL_TAGS
    ]

    def marked(i: int) -> bool:
        return bool(cells[i].get("metadata", {}).get("papermill", {}).get("exception"))

    def errored(i: int) -> bool:
        return any(o.get("output_type") == "error" for o in cells[i].get("outputs", []))

    def started(i: int) -> bool:
        return bool(cells[i].get("metadata", {}).get("papermill", {}).get("start_time"))

    failing = next((i for i in code if marked(i)), None)
    if failing is None:
        failing = next((i for i in code if errored(i)), None)
    if failing is None:
        began = [i for i in code if started(i)]
        failing = began[-1] if began else None
    step = section = None
    if failing is not None:
        step = code.index(failing) + 1
        for cell in cells[:failing]:
            found = _headings(cell)
            if found:
                section = found[-1]
    return Failure(kind, ename, strip_ansi(evalue).strip(), step, section, timeout, failing)


def _keep_output(output: Mapping[str, Any]) -> bool:
    kind = output.get("output_type")
    if kind == "error" or is_metric_output(output):
        return False
    return not (kind == "stream" and output.get("name") == "stderr")


def prepare_for_readers(nb: Any, *, title: str, last_cell: int | None = None) -> Any:
    """A copy of ``nb`` without what stakeholders should not see, figures given alt text.

    With ``last_cell`` (a failed run), cells after that index are left out: they did not run.
    """
    nb = copy.deepcopy(nb)
    kept = []
    heading = title
    figures_under: dict[str, int] = {}
    cells = nb.cells if last_cell is None else nb.cells[: last_cell + 1]
    for cell in cells:
        tags = _tags(cell)
        if tags & HIDDEN_CELL_TAGS:
            continue
        found = _headings(cell)
        if found:
            heading = found[-1]
        if cell.cell_type == "code":
            outputs = [] if "remove-output" in tags else cell.get("outputs", [])
            cell.outputs = [o for o in outputs if _keep_output(o)]
            if not cell.outputs:
                continue
            for output in cell.outputs:
                data = output.get("data", {})
                for mime in ("image/png", "image/jpeg", "image/svg+xml"):
                    if mime not in data:
                        continue
                    meta = output.setdefault("metadata", {}).setdefault(mime, {})
                    if not meta.get("alt"):
                        count = figures_under[heading] = figures_under.get(heading, 0) + 1
                        meta["alt"] = heading if count == 1 else f"{heading} (figure {count})"
        kept.append(cell)
    nb.cells = kept
    return nb


def _level(cell: Mapping[str, Any]) -> int | None:
    """The level of the first heading of a markdown cell (1 for ``#``), else None."""
    if cell.get("cell_type") != "markdown":
        return None
    found = re.findall(r"^\s{0,3}(#{1,6})\s", str(cell.get("source", "")), re.MULTILINE)
    return len(found[0]) if found else None


def split_appendices(nb: Any) -> tuple[list[Any], dict[str, list[Any]]]:
    """The body's cells, and the appendices' cells by title, in order (see
    :data:`APPENDIX_TAG` and :data:`ACTION_TAG`). The heading that starts a section appendix
    becomes its title and is taken out of its first cell. Sections tagged as actions follow the
    first section of the body (the key findings)."""
    body: list[Any] = []
    actions: list[Any] = []
    appendices: dict[str, list[Any]] = {}
    current: list[Any] = body
    for cell in nb.cells:
        tags = _tags(cell)
        titled = [t.split(":", 1)[1].strip() for t in tags if t.startswith(f"{APPENDIX_TAG}:")]
        level = _level(cell)
        if titled:
            appendices.setdefault(titled[0], []).append(cell)
            continue
        if APPENDIX_TAG in tags and _headings(cell):
            cell = copy.deepcopy(cell)
            title = _headings(cell)[0]
            cell.source = _HEADING.sub("", str(cell.source), count=1).strip()
            current = appendices.setdefault(title, [])
        elif ACTION_TAG in tags and level is not None:
            current = actions
        elif level is not None and level <= 2:
            current = body
        current.append(cell)
    if actions:
        sections = [i for i, c in enumerate(body) if _level(c) == 2]
        at = sections[1] if len(sections) > 1 else len(body)
        body[at:at] = actions
    return body, appendices


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.S)


def table_of_contents(body: str, *, appendix: bool) -> str:
    """A line of links to the page's level-2 headings (and to the appendix), or empty."""
    links = [f'<a href="#{anchor}">{re.sub(r"<[^>]+>", "", text).strip()}</a>'
             for anchor, text in _H2.findall(body)]
    if appendix:
        links.append('<a href="#appendix">Appendix</a>')
    if len(links) < 3:
        return ""
    return f'<nav class="toc" aria-label="On this page">On this page: {" · ".join(links)}</nav>\n'


def _render(nb: Any, cells: list[Any]) -> str:
    part = copy.copy(nb)
    part.cells = cells
    return _exporter().from_notebook_node(part)[0]


def render_page_body(readable: Any) -> str:
    """The page's HTML: a table of contents after the introduction, the body, then each
    appendix folded under its title."""
    body_cells, appendices = split_appendices(readable)
    body = _render(readable, body_cells)
    toc = table_of_contents(body, appendix=bool(appendices))
    first = body.find("<h2 ")
    if toc and first >= 0:  # after the title and the introduction, before the first section
        start = body.rfind('<div class="jp-Cell', 0, first)
        at = start if start >= 0 else first
        body = body[:at] + toc + body[at:]
    if not appendices:
        return body
    folded = "".join(
        f"<details><summary>{html.escape(title)}</summary>\n{_render(readable, cells)}"
        "</details>\n" for title, cells in appendices.items() if cells)
    return (f'{body}\n<section class="appendix"><h2 id="appendix">Appendix</h2>\n'
            "<p>Methods, model details, checks and the tables written for other tools: opened "
            f"when needed.</p>\n{folded}</section>")


@functools.cache
def _exporter() -> Any:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_raw = True
    return exporter


_EXTERNAL = r"""["']?\s*(?:https?:)?//"""
_EXTERNAL_SCRIPT = re.compile(
    rf"<script\b[^>]*\bsrc\s*=\s*{_EXTERNAL}[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL
)
_EXTERNAL_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*{_EXTERNAL}[^>]*>", re.IGNORECASE)
_EXTERNAL_SRC = re.compile(
    r"""\s(src|srcset|poster)\s*=\s*(["'])\s*(?:https?:)?//[^"']*\2""", re.IGNORECASE
)


def strip_external_resources(page: str) -> str:
    """Remove anything that would fetch from the web: scripts, stylesheets, remote sources.

    Ordinary links (``<a href>``) written in the notebook's prose are kept.
    """
    page = _EXTERNAL_SCRIPT.sub("", page)
    page = _EXTERNAL_LINK.sub("", page)
    return _EXTERNAL_SRC.sub(r' data-removed-\1=""', page)


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)
"""What a report page may load or run: its own inline styles and embedded images, nothing else.

The pages need no script. Text from the data is escaped before it reaches a page
(:mod:`crm_analysis.markup`); should an escape ever be missed, the browser still refuses to run
a script, an event handler or a ``javascript:`` link, and fetches nothing from anywhere."""


def page(title: str, body: str, *, nav: str = "", footer: str = "", css: str = "") -> str:
    """A complete HTML document with the inline base stylesheet and the
    :data:`CONTENT_SECURITY_POLICY` (first in the head, so it covers the whole page)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        f'content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{BASE_CSS}{css}</style>\n</head>\n<body>\n"
        f"{nav}<main>\n{body}\n</main>\n{footer}</body>\n</html>\n"
    )


def failure_banner(failure: Failure, name: str) -> str:
    """The red box at the top of a failed notebook's page."""
    return (
        '<div class="banner failed" role="alert">\n'
        "<strong>This report is incomplete: the analysis did not run to the end.</strong>\n"
        f"<p>{html.escape(failure.sentence())}</p>\n"
        "<p>Everything after that point is missing from this page, and reports that depend on "
        "this one were not produced. The technical details (traceback) are in the executed "
        f"notebook {html.escape(name)}.ipynb next to this page.</p>\n"
        "</div>\n"
    )


def notebook_html(nb: Any, *, name: str, run_id: str, failure: Failure | None = None) -> str:
    """Render an executed notebook as a self-contained stakeholder page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    name : str
        Notebook name, used when it has no heading.
    run_id : str
        The run, shown in the navigation line.
    failure : Failure, optional
        If given, a failure banner is put at the top.

    Returns
    -------
    str
        The HTML document.
    """
    title = notebook_title(nb, name)
    last_cell = failure.cell if failure else None
    readable = prepare_for_readers(nb, title=title, last_cell=last_cell)
    body = render_page_body(readable)
    banner = failure_banner(failure, name) if failure else ""
    nav = (
        f'<nav class="run"><a href="index.html">All reports of run {html.escape(run_id)}</a>'
        f" \u00b7 {html.escape(title)}</nav>\n"
    )
    footer = (
        f"<footer>Run {html.escape(run_id)} \u00b7 notebook {html.escape(name)}.ipynb "
        "\u00b7 produced by crm-analysis report</footer>\n"
    )
    return strip_external_resources(
        page(f"{title} \u00b7 {run_id}", banner + body, nav=nav, footer=footer)
    )
