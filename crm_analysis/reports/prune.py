"""Bounded disk: keep the newest runs, never the current one, never a live one.

A run is a report folder ``reports/<run_id>/`` and a processed set
``processed/runs/<run_id>.<...>/``. :func:`prune` keeps the ``keep`` newest of each (by the time
they finished, from ``run.json`` and the set's marker) and always keeps ``reports/latest``'s run,
the published processed set and anything a live run holds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from crm_analysis.reports.errors import RunLockedError
from crm_analysis.reports.latest import LATEST, finished_runs
from crm_analysis.reports.lock import run_lock
from crm_analysis.reports.processed_sets import prune_sets

__all__ = ["prune", "prune_reports"]


def prune_reports(reports_dir: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest run folders of ``reports_dir``; never the run
    ``latest`` points at, never a run whose id is locked by a live run."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    link = reports_dir / LATEST
    latest = os.readlink(link) if link.is_symlink() else None
    removed = []
    for _finished, folder, _status in finished_runs(reports_dir)[:-keep]:
        if folder.name == latest:
            continue
        try:
            with run_lock(reports_dir, folder.name):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except RunLockedError:
            continue
    return removed


def prune(reports_dir: str | os.PathLike[str], data_dir: str | os.PathLike[str],
          keep: int) -> list[Path]:
    """Prune report folders and processed sets to the ``keep`` newest of each; returns what
    was removed."""
    return [*prune_reports(Path(reports_dir), keep), *prune_sets(Path(data_dir), keep)]
