"""Project paths and defaults: the one place a default lives.

Paths are anchored at the project root, never at the working directory, so that JupyterLab
(running in notebooks/), papermill (running anywhere) and nbval agree. Environment variables
override them, which is how tests and schedulers point a notebook at another data set without
editing it:

- ``CRM_DATA_DIR``: the data root that holds ``raw/`` and ``processed/`` (default ``<root>/data``).
- ``CRM_REPORTS_DIR``: where report runs are written (default ``<root>/reports``).
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


def processed_dir() -> Path:
    """Cleaned tables and model outputs (Parquet)."""
    return data_dir() / "processed"


def reports_dir() -> Path:
    """Report runs, one folder per run; ``CRM_REPORTS_DIR`` overrides it."""
    return Path(os.environ.get("CRM_REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()
