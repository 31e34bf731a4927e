"""``reports/latest``: a relative symlink to the newest successful run, replaced atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from crm_analysis.atomic import TMP_PREFIX
from crm_analysis.reports.errors import ReportConfigError

if TYPE_CHECKING:
    from crm_analysis.reports.runlog import RunLog

LATEST = "latest"


def finished_runs(reports_dir: Path) -> list[tuple[str, Path, str | None]]:
    """``(finished, folder, status)`` of every run folder with a readable ``run.json``,
    oldest first."""
    found = []
    for run_json in reports_dir.glob("*/run.json"):
        folder = run_json.parent
        if folder.name.startswith(".") or folder.is_symlink():
            continue
        try:
            manifest = json.loads(run_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        found.append((str(manifest.get("finished", "")), folder, manifest.get("status")))
    return sorted(found)


def _successful_runs(reports_dir: Path) -> list[tuple[str, str]]:
    """``(finished, run_id)`` of finished successful runs, oldest first."""
    return [(finished, folder.name) for finished, folder, status in finished_runs(reports_dir)
            if status == "ok"]


def point_latest(reports_dir: Path, run_id: str | None) -> None:
    """Make ``reports/latest`` a relative symlink to ``run_id`` in one atomic rename.

    ``None`` removes the link.
    """
    link = reports_dir / LATEST
    if link.exists() and not link.is_symlink():
        raise ReportConfigError(f"{link} exists and is not a symbolic link; not replacing it")
    if run_id is None:
        link.unlink(missing_ok=True)
        return
    tmp = reports_dir / f"{TMP_PREFIX}{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(run_id, tmp)
    os.replace(tmp, link)


def update_latest(reports_dir: Path, run_id: str, ok: bool, log: RunLog) -> None:
    """After run ``run_id``: point ``latest`` at it if ``ok``; if it failed and replaced the
    run ``latest`` pointed at, fall back to the newest successful run. Problems are logged."""
    link = reports_dir / LATEST
    try:
        if ok:
            point_latest(reports_dir, run_id)
            log.info(f"{link} -> {run_id}")
        elif link.is_symlink() and os.readlink(link) == run_id:
            # this run id replaced the run latest pointed at: fall back to the newest good one
            runs = _successful_runs(reports_dir)
            point_latest(reports_dir, runs[-1][1] if runs else None)
    except (OSError, ReportConfigError) as exc:
        log.info(f"warning: could not update {link}: {exc}")


def catch_up_latest(reports_dir: Path, published_run: str | None, log: RunLog) -> None:
    """A run killed between publishing its processed set and pointing ``latest`` left
    ``latest`` one run behind: point it at the run whose set is published, if that run
    finished successfully in ``reports_dir``."""
    link = reports_dir / LATEST
    if not published_run or (link.is_symlink() and os.readlink(link) == published_run):
        return
    if any(run == published_run for _, run in _successful_runs(
            reports_dir)):
        point_latest(reports_dir, published_run)
        log.info(f"{link} -> {published_run} (caught up with the published processed set)")
