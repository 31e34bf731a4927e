"""A run's progress log: lines to a stream (stderr) and, once the run folder exists, ``run.log``.

Kept apart from the runner so that the modules the runner calls (:mod:`~crm_analysis.reports.
dataroot`, :mod:`~crm_analysis.reports.latest`) can log without importing it.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import IO


class RunLog:
    """Progress lines to a stream (stderr) and, once attached, to ``run.log``."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.file: IO[str] | None = None
        self._pending: list[str] = []

    def info(self, message: str) -> None:
        """Write one line (the file copy is time-stamped)."""
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        print(message, file=self.stream, flush=True)
        line = f"{stamp} {message}\n"
        if self.file is None:
            self._pending.append(line)
        else:
            self.file.write(line)
            self.file.flush()

    def attach(self, path: Path) -> IO[str]:
        """Start copying to ``path`` (earlier lines included); returns the open file."""
        self.file = path.open("a", encoding="utf-8")
        self.file.writelines(self._pending)
        self.file.flush()
        self._pending.clear()
        return self.file

    def close(self) -> None:
        """Close the file copy."""
        if self.file is not None:
            self.file.close()
            self.file = None
