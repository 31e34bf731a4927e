"""Project paths and defaults: the one place a default lives.

Paths are anchored at the project root, never at the working directory, so that JupyterLab
(running in notebooks/), papermill (running anywhere) and nbval agree. Environment variables
override them, which is how tests and schedulers point a notebook at another data set without
editing it:

- ``CRM_DATA_DIR``: the data root that holds ``raw/`` and ``processed/`` (default ``<root>/data``).
- ``CRM_REPORTS_DIR``: where report runs are written (default ``<root>/reports``).
- ``CRM_PROCESSED_DIR``: the processed set notebooks read and write. The report runner sets it
  to the run's own set (:mod:`crm_analysis.reports.processed_sets`); by hand it names a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

PLACEHOLDER_FILES = frozenset({"README.md", ".gitkeep"})
"""Files that keep an empty data folder in git; a folder holding only these counts as empty."""

DEFAULT_SEED = 20240101
"""Seed of the default synthetic data set."""


def data_dir() -> Path:
    """The data root (holds ``raw/`` and ``processed/``); ``CRM_DATA_DIR`` overrides it."""
    return Path(os.environ.get("CRM_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def raw_dir() -> Path:
    """Raw exports as they arrived; never modified."""
    return data_dir() / "raw"


RUN_SETS = "runs"
"""Folder of ``processed/`` that holds one processed set per report run."""

CURRENT_SET = "current"
"""Link in ``processed/`` to the published set (the last successful run)."""

PROCESSED_ENV = "CRM_PROCESSED_DIR"


def processed_dir() -> Path:
    """The processed set (cleaned tables and model outputs) a notebook reads and writes.

    ``CRM_PROCESSED_DIR`` when set (the report runner sets it to the run's own set), else the
    published set ``processed/current`` of the data root, else ``processed/`` itself (a data
    root no report run has published to). :func:`processed_source` says which, in words.
    """
    named = os.environ.get(PROCESSED_ENV)
    if named:
        return Path(named).resolve()
    current = data_dir() / "processed" / CURRENT_SET
    if current.is_symlink() and current.resolve().is_dir():
        return current.resolve()
    return data_dir() / "processed"


def processed_source() -> str:
    """Which processed set :func:`processed_dir` is, in words, for the foot of a report."""
    path = processed_dir()
    if os.environ.get("CRM_RUN_ID") and os.environ.get(PROCESSED_ENV):
        return f"this run's own processed set ({path.parent.name}/{path.name})"
    if os.environ.get(PROCESSED_ENV):
        return f"the processed folder named by {PROCESSED_ENV} ({path})"
    if path.parent.name == RUN_SETS:
        return f"the published processed set ({path.parent.name}/{path.name})"
    return f"the processed folder {path}"


def reports_dir() -> Path:
    """Report runs, one folder per run; ``CRM_REPORTS_DIR`` overrides it."""
    return Path(os.environ.get("CRM_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()
