"""`pytest --nbval-lax notebooks/`: run every notebook on a small synthetic data set.

The notebooks are not edited: they read their paths from ``crm_analysis.config``, which honours
``CRM_DATA_DIR``. This file builds a small data root once per session and points the kernels
(which inherit the environment) at it. Notebooks run in name order, so 01 writes the processed
tables that the later ones read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

NBVAL_CUSTOMERS = 1_500


def pytest_configure(config) -> None:
    if not config.getoption("--nbval-lax", default=False) and not config.getoption(
        "--nbval", default=False
    ):
        return
    root = Path(tempfile.mkdtemp(prefix="crm-nbval-"))
    write_dataset(generate(SyntheticConfig(n_customers=NBVAL_CUSTOMERS, seed=3)), root / "raw")
    (root / "processed").mkdir()
    config._crm_nbval_root = root
    os.environ["CRM_DATA_DIR"] = str(root)
    os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_unconfigure(config) -> None:
    root = getattr(config, "_crm_nbval_root", None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
