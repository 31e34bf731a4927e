"""Locks: one run id, one process (a non-blocking ``fcntl.flock`` on
``reports/.<run_id>.lock``), and a blocking lock for short critical sections (:func:`flock`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from crm_analysis.reports.errors import RunLockedError


@contextlib.contextmanager
def flock(path: Path, *, blocking: bool = True) -> Iterator[bool]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block; yields
    whether it was taken (always True when ``blocking``). The kernel releases it if the
    process dies, so a killed holder never blocks anyone."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def lock_path(reports_dir: Path, run_id: str) -> Path:
    """The lock file of ``run_id`` (hidden, next to the run folders)."""
    return Path(reports_dir) / f".{run_id}.lock"


@contextlib.contextmanager
def run_lock(reports_dir: Path, run_id: str) -> Iterator[Path]:
    """Hold the lock of ``run_id`` for the block; the file is removed when released.

    Raises
    ------
    RunLockedError
        If another process holds it (the message names that process id when known).
    """
    path = lock_path(reports_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder else ""
            raise RunLockedError(
                f"another report run with run id '{run_id}' is in progress{who}; "
                f"wait for it to finish or choose another --run-id (lock file {path})"
            ) from None
        # The previous holder may have removed the file between our open and our lock.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield path
    finally:
        path.unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
