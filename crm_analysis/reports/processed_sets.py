"""Run-scoped processed data: each report run writes and reads its own set, published atomically.

Layout of a data root's ``processed/`` folder::

    processed/
        runs/<run_id>.<8 characters>/   one set per run attempt: its tables, CRM exports,
            .lock                       held (``flock``) while the run is alive
            .complete                   JSON ``{"run_id", "status", "finished"}``, last file
        current -> runs/<...>           the published set: the last successful run
        churn_crm_export.csv -> current/churn_crm_export.csv     stable paths for import jobs
        target_list.csv -> current/target_list.csv
        win_back_list.csv -> current/win_back_list.csv

- A run gets a new folder (a fresh name for every attempt, so a re-run never touches the set
  it replaces) and hands it to its notebooks as ``CRM_PROCESSED_DIR``; nothing else writes
  there. Runs with different ids therefore run side by side without touching each other.
- On success the set gets its ``.complete`` marker and ``current`` is swapped to it in one
  rename: a reader of ``processed/current/...`` sees the old set or the new one, never a mix.
  The stable export paths are symbolic links through ``current``, so they always hold a
  complete file of one run.
- A run killed at any moment (SIGKILL included) leaves an unpublished folder without a marker
  and with its lock released; the next run removes such leftovers (:func:`remove_leftovers`).
  Creating a set and cleaning leftovers take the data root's ``processed/.sets.lock``, so a
  cleaner never sees a set that is being born.
- :func:`prune_sets` keeps the newest sets and never the published one or a live one.

A notebook run by hand (JupyterLab, papermill) uses ``CRM_PROCESSED_DIR`` when set, else the
published set, else ``processed/`` itself (:func:`crm_analysis.config.processed_dir`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crm_analysis.atomic import TMP_PREFIX, atomic_path
from crm_analysis.config import CURRENT_SET, RUN_SETS
from crm_analysis.reports.lock import flock

__all__ = ["COMPLETE", "EXPORTS", "ProcessedSet", "SetInfo", "current_run_id", "current_set",
           "list_sets", "new_set", "prune_sets", "publish", "remove_leftovers", "seed_from"]

COMPLETE = ".complete"
"""Marker file of a finished set (written last)."""

LOCK = ".lock"
"""Lock file inside a set, held by its run while it is alive."""

EXPORTS = ("churn_crm_export.csv", "churn_call_list.csv", "target_list.csv", "win_back_list.csv")
"""Files import jobs read from a stable path ``processed/<name>`` (a link through current)."""


@dataclass(frozen=True)
class SetInfo:
    """A processed set on disk: its folder, run id, and marker (None while unfinished)."""

    path: Path
    run_id: str
    status: str | None
    finished: str | None


def _sets_dir(root: Path) -> Path:
    return root / "processed" / RUN_SETS


@contextlib.contextmanager
def _sets_lock(root: Path) -> Iterator[None]:
    """The data root's lock for creating and removing sets (held for milliseconds)."""
    (root / "processed").mkdir(parents=True, exist_ok=True)
    with flock(root / "processed" / ".sets.lock", blocking=True):
        yield


def _is_live(folder: Path) -> bool:
    """Whether a run holds the set's lock (a killed run's lock is released by the kernel)."""
    lock = folder / LOCK
    if not lock.exists():
        return False
    with flock(lock, blocking=False) as taken:
        return not taken


def _read_marker(folder: Path) -> dict | None:
    try:
        return json.loads((folder / COMPLETE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_sets(root: Path) -> list[SetInfo]:
    """Every set folder of ``root`` (oldest first by folder time), with its marker if any."""
    base = _sets_dir(root)
    if not base.is_dir():
        return []
    out = []
    for folder in sorted(base.iterdir(), key=lambda p: p.stat().st_mtime):
        if not folder.is_dir() or folder.is_symlink() or folder.name.startswith("."):
            continue
        marker = _read_marker(folder) or {}
        out.append(SetInfo(folder, folder.name.rsplit(".", 1)[0], marker.get("status"),
                           marker.get("finished")))
    return out


def current_set(root: Path) -> Path | None:
    """The published set's folder, or None when nothing is published."""
    link = root / "processed" / CURRENT_SET
    if not link.is_symlink():
        return None
    target = link.resolve()
    return target if target.is_dir() else None


def current_run_id(root: Path) -> str | None:
    """The run id of the published set (from its marker), or None."""
    current = current_set(root)
    marker = _read_marker(current) if current is not None else None
    return marker.get("run_id") if marker else None


def remove_leftovers(root: Path) -> list[Path]:
    """Remove the sets of runs that died before finishing (no marker, lock not held) and
    stray temporary files; returns the removed folders. Call with no set being created."""
    removed = []
    for info in list_sets(root):
        if info.status is None and not _is_live(info.path):
            shutil.rmtree(info.path, ignore_errors=True)
            removed.append(info.path)
    processed = root / "processed"
    for stray in processed.glob(f"{TMP_PREFIX}*"):  # half-made links of a killed publish
        if stray.is_symlink() or stray.is_file():
            stray.unlink(missing_ok=True)
    return removed


@dataclass
class ProcessedSet:
    """The processed folder of one run attempt, alive while its lock is held."""

    root: Path
    path: Path
    run_id: str
    _lock_fd: int | None = None

    def close(self) -> None:
        """Release the lock (the folder stays: finished, or a leftover for the next run)."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def discard(self) -> None:
        """Remove the folder of an abandoned run (never published)."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def finish(self, status: str) -> None:
        """Write the marker: the set is complete (``status`` ok or failed)."""
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with atomic_path(self.path / COMPLETE) as tmp:
            tmp.write_text(json.dumps({"run_id": self.run_id, "status": status,
                                       "finished": stamp}) + "\n", encoding="utf-8")


def new_set(root: Path, run_id: str) -> tuple[ProcessedSet, list[Path]]:
    """Create the set of a new run attempt, locked, after removing leftovers of dead runs.

    Returns the set and the leftover folders that were removed.
    """
    base = _sets_dir(root)
    with _sets_lock(root):
        removed = remove_leftovers(root)
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"{run_id}.{secrets.token_hex(4)}"
        path.mkdir()
        fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return ProcessedSet(root, path, run_id, fd), removed


def seed_from(target: ProcessedSet, source: Path) -> list[str]:
    """Give a partial run the published tables of the notebooks it does not run: copies of
    ``source``'s files (copies, not links: a notebook that rewrote a file in place must not
    change the published set); returns their names."""
    names = []
    for item in sorted(source.iterdir()):
        if item.name.startswith(".") or not item.is_file():
            continue
        shutil.copy2(item, target.path / item.name)
        names.append(item.name)
    return names


def _swap_link(link: Path, target: str) -> None:
    """Point ``link`` at ``target`` (relative) in one rename."""
    tmp = link.parent / f"{TMP_PREFIX}{link.name}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def publish(processed_set: ProcessedSet) -> None:
    """Make a finished, successful set the current one, and keep the stable export paths."""
    processed = processed_set.root / "processed"
    _swap_link(processed / CURRENT_SET, f"{RUN_SETS}/{processed_set.path.name}")
    for name in EXPORTS:
        stable = processed / name
        if not stable.is_symlink():  # a file of the flat layout is replaced by the link
            _swap_link(stable, f"{CURRENT_SET}/{name}")


def prune_sets(root: Path, keep: int) -> list[Path]:
    """Remove all but the ``keep`` newest finished sets; never the published one, never a live
    one. Returns the removed folders."""
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    current = current_set(root)
    with _sets_lock(root):
        finished = [s for s in list_sets(root) if s.status is not None]
        finished.sort(key=lambda s: s.finished or "")
        removed = []
        for info in finished[:-keep]:
            if current is not None and info.path.resolve() == current:
                continue
            if _is_live(info.path):
                continue
            shutil.rmtree(info.path, ignore_errors=True)
            removed.append(info.path)
    return removed
