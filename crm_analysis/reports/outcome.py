"""What a report run produced: one :class:`NotebookResult` per notebook, one :class:`RunResult`.

:func:`~crm_analysis.reports.runner.run_reports` returns a :class:`RunResult`; its ``manifest``
is the content of ``run.json`` and each notebook's entry there is
:meth:`NotebookResult.as_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class NotebookResult:
    """Outcome of one notebook of a run.

    Attributes
    ----------
    name : str
        File name without ``.ipynb``.
    status : str
        ``"ok"``, ``"failed"`` or ``"skipped"`` (a required notebook of the run did not succeed).
    duration_seconds : float or None
        Wall time of the execution (``None`` when skipped).
    error : dict or None
        ``{"type": ..., "message": ...}`` for a failed or skipped notebook.
    metrics : dict
        Values recorded with :func:`~crm_analysis.reports.record_metric`.
    parameters : dict
        Every declared parameter with the value it ran with.
    """

    name: str
    status: str
    duration_seconds: float | None = None
    error: dict[str, Any] | None = None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    title: str | None = None
    html: str | None = None
    ipynb: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The notebook's entry in ``run.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "duration_seconds": (
                None if self.duration_seconds is None else round(self.duration_seconds, 3)
            ),
            "error": self.error,
            "metrics": self.metrics,
            "requires": list(self.requires),
            "html": self.html,
            "ipynb": self.ipynb,
        }


@dataclass
class RunResult:
    """Outcome of :func:`~crm_analysis.reports.runner.run_reports`.

    Attributes
    ----------
    run_id : str
    run_dir : Path
        The finished run folder ``reports/<run_id>``.
    status : str
        ``"ok"`` or ``"failed"``.
    exit_code : int
        0 if every notebook succeeded, else 1.
    notebooks : list of NotebookResult
        In execution order.
    manifest : dict
        The content of ``run.json``.
    """

    run_id: str
    run_dir: Path
    status: str
    exit_code: int
    notebooks: list[NotebookResult]
    manifest: dict[str, Any]

    @property
    def processed_dir(self) -> Path:
        """The run's own processed set (published as ``processed/current`` if the run is ok)."""
        return Path(self.manifest["processed_dir"])

    @property
    def statuses(self) -> dict[str, str]:
        """``{notebook name: status}``."""
        return {nb.name: nb.status for nb in self.notebooks}

    def __getitem__(self, name: str) -> NotebookResult:
        for nb in self.notebooks:
            if nb.name == name:
                return nb
        raise KeyError(name)
