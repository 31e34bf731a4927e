"""Run the report notebooks with papermill and publish them as self-contained HTML.

``crm-analysis report`` (or :func:`run_reports`) executes the notebooks of a folder in dependency
order into ``reports/<run_id>/`` (executed ``.ipynb`` + ``.html`` per notebook, ``index.html``,
``run.json``, ``run.log``) and points ``reports/latest`` at the newest successful run.
Inside a notebook, :func:`record_metric` records a headline number for the index and
``run.json``. :func:`plan_run` checks a run and writes nothing (a :class:`RunPlan`);
:func:`execute_plan` carries a plan out; :func:`run_reports` does both.

Exit codes
----------
0
    every notebook ran without error.
1
    at least one notebook failed (its dependents are skipped, the others still run).
2
    bad input or configuration: unknown parameter or notebook, dependency cycle, bad data root,
    run id locked by another run, or run id exists without ``--force``.
130
    interrupted (Ctrl-C or SIGTERM); no run folder is left behind.

Importing this package is cheap (notebooks import :func:`record_metric` from it); the runner
and its papermill/nbconvert imports load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_analysis.reports.errors import ReportConfigError, RunExistsError, RunLockedError
from crm_analysis.reports.metrics import METRIC_MIME, read_metrics, record_metric
from crm_analysis.reports.published_lists import list_link

if TYPE_CHECKING:
    from crm_analysis.reports.cli import add_report_parser, run_report_command
    from crm_analysis.reports.outcome import NotebookResult, RunResult
    from crm_analysis.reports.plan import RunPlan, plan_run
    from crm_analysis.reports.runner import execute_plan, run_reports

__all__ = [
    "METRIC_MIME",
    "NotebookResult",
    "ReportConfigError",
    "RunExistsError",
    "RunLockedError",
    "RunPlan",
    "RunResult",
    "add_report_parser",
    "execute_plan",
    "list_link",
    "plan_run",
    "read_metrics",
    "record_metric",
    "run_report_command",
    "run_reports",
]

_LAZY = {
    "run_reports": "crm_analysis.reports.runner",
    "execute_plan": "crm_analysis.reports.runner",
    "plan_run": "crm_analysis.reports.plan",
    "RunPlan": "crm_analysis.reports.plan",
    "RunResult": "crm_analysis.reports.outcome",
    "NotebookResult": "crm_analysis.reports.outcome",
    "add_report_parser": "crm_analysis.reports.cli",
    "run_report_command": "crm_analysis.reports.cli",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
