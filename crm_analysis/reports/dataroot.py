"""The data root of a run: ``raw/`` must hold data; the default root may get synthetic data.

The default root is :func:`crm_analysis.config.data_dir` (``CRM_DATA_DIR`` or
``<project>/data``). If its ``raw/`` is empty, the default synthetic data set is written by
``crm_analysis.synthetic.write_default_dataset(raw_dir)``; any other root with an empty
``raw/`` is a configuration error. A ``raw/`` with data is analysed as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crm_analysis.reports import manifest as mf
from crm_analysis.reports.errors import ReportConfigError
from crm_analysis.reports.lock import flock

if TYPE_CHECKING:
    from crm_analysis.reports.runlog import RunLog


def has_raw_data(raw_dir: Path) -> bool:
    """Whether ``raw_dir`` holds at least one (non-hidden) file."""
    return bool(mf.data_files(raw_dir))


def write_default_dataset(raw_dir: Path) -> None:
    """Call the synthetic generator's hook (imported here: it is optional at import time)."""
    try:
        from crm_analysis.synthetic import write_default_dataset as hook
    except ImportError as exc:
        raise ReportConfigError(
            f"{raw_dir} is empty and the default synthetic data set cannot be built: "
            f"crm_analysis.synthetic.write_default_dataset is not available ({exc}). "
            "Put the exports (at least orders.csv) into raw/, or run `crm-analysis generate`."
        ) from exc
    hook(raw_dir)


def check_data_root(data_dir: Path, *, is_default: bool) -> bool:
    """Validate the data root; returns whether the default synthetic data must be written.

    Raises
    ------
    ReportConfigError
        If a data root given explicitly has no data in ``raw/``.
    """
    raw = data_dir / "raw"
    if has_raw_data(raw):
        return False
    if is_default:
        return True
    raise ReportConfigError(
        f"no data in {raw}: put the exports there (a folder with orders.csv is enough), "
        "or leave out --data-dir to use the default data root"
    )


def prepare_data_root(data_dir: Path, *, is_default: bool, log: RunLog | None = None) -> None:
    """Make ``data_dir`` ready: default synthetic data if needed, ``processed/`` created.

    Holds the data root's lock (``.data.lock``) meanwhile, so that of several runs started
    together on an empty default root one writes the synthetic data and the others wait
    for it instead of reading half-written files.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with flock(data_dir / ".data.lock"):
        _prepare(data_dir, is_default=is_default, log=log)


def _prepare(data_dir: Path, *, is_default: bool, log: RunLog | None) -> None:
    if check_data_root(data_dir, is_default=is_default):
        if log:
            log.info(f"{data_dir / 'raw'} is empty: writing the default synthetic data set")
        (data_dir / "raw").mkdir(parents=True, exist_ok=True)
        write_default_dataset(data_dir / "raw")
        if not has_raw_data(data_dir / "raw"):
            raise ReportConfigError(
                f"the synthetic data generator wrote nothing into {data_dir / 'raw'}"
            )
    (data_dir / "processed").mkdir(parents=True, exist_ok=True)
