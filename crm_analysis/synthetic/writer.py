"""``write_dataset``: the raw export plus ``_truth/``, written atomically.

Layout of ``out_dir``::

    <table>.csv | <table>.parquet        the raw export (7 tables)
    mapping.yaml                         how to read it (``base: synthetic``: the date formats)
    _truth/config.json                   the SyntheticConfig that produced it
    _truth/<name>.parquet                truth tables: customers, orders, uplift, dirt_log
    _truth/clean/<table>.parquet         the clean tables (what cleaning should produce)

CSV: UTF-8, comma-separated, header row, empty field for missing, booleans ``true``/``false``,
timestamps ``%Y-%m-%d %H:%M:%S`` (string date columns are written as they are).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from crm_analysis.atomic import atomic_dir
from crm_analysis.config import PLACEHOLDER_FILES
from crm_analysis.synthetic.generator import SyntheticData

_SECONDS_PER_DAY = 86_400


def _second_of_day_strings() -> pa.Array:
    s = np.arange(_SECONDS_PER_DAY)
    parts = [np.char.zfill(x.astype(str), 2) for x in (s // 3600, s // 60 % 60, s % 60)]
    return pa.array(
        np.char.add(
            np.char.add(np.char.add(parts[0], ":"), np.char.add(parts[1], ":")), parts[2]
        ).tolist(),
        pa.string(),
    )


def _format_timestamps(values: pd.Series) -> pa.Array:
    """``datetime64`` values as ``%Y-%m-%d %H:%M:%S`` strings (second resolution, NaT -> null)."""
    ns = values.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    valid = ~values.isna().to_numpy()
    sec = np.where(valid, ns // 1_000_000_000, 0)
    day = sec // _SECONDS_PER_DAY
    lo, hi = (int(day[valid].min()), int(day[valid].max())) if valid.any() else (0, 0)
    days = pd.date_range(pd.Timestamp(lo * _SECONDS_PER_DAY, unit="s"), periods=hi - lo + 1)
    day_str = pa.array(np.asarray(days.strftime("%Y-%m-%d"), dtype=object).tolist(), pa.string())
    joined = pc.binary_join_element_wise(
        day_str.take(pa.array(np.clip(day - lo, 0, hi - lo))),
        _second_of_day_strings().take(pa.array(sec % _SECONDS_PER_DAY)),
        " ",
    )
    return pc.if_else(pa.array(valid), joined, pa.scalar(None, pa.string()))


def _to_arrow(frame: pd.DataFrame, *, for_csv: bool) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if for_csv:
        for i, name in enumerate(table.column_names):
            if pd.api.types.is_datetime64_any_dtype(frame[name]):
                table = table.set_column(i, name, _format_timestamps(frame[name]))
    return table.replace_schema_metadata(None) if for_csv else table


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        pacsv.write_csv(_to_arrow(frame, for_csv=True), path)
    else:
        pq.write_table(_to_arrow(frame, for_csv=False), path)


def write_dataset(
    data: SyntheticData,
    out_dir: str | os.PathLike[str],
    fmt: Literal["csv", "parquet"] = "csv",
    overwrite: bool = False,
) -> Path:
    """Write the raw tables and ``_truth/`` to ``out_dir`` in one atomic step.

    Everything is written to a hidden temporary folder next to ``out_dir`` and renamed into
    place at the end, so a failure leaves no (partial) ``out_dir``.

    Parameters
    ----------
    data
        The generated data set.
    out_dir
        Target folder. Must not exist or be empty (but for ``README.md``/``.gitkeep``, which are
        kept) unless ``overwrite``.
    fmt
        ``"csv"`` or ``"parquet"`` for the raw tables (truth files are always Parquet).
    overwrite
        Replace a non-empty ``out_dir``.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    FileExistsError
        ``out_dir`` is not empty and ``overwrite`` is false.
    ValueError
        Unknown ``fmt``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    out = Path(out_dir)
    kept = [p for p in out.iterdir() if p.name in PLACEHOLDER_FILES] if out.is_dir() else []
    if out.exists() and not overwrite and (
        not out.is_dir() or any(p.name not in PLACEHOLDER_FILES for p in out.iterdir())
    ):
        raise FileExistsError(f"{out} is not empty; pass overwrite=True to replace it")
    with atomic_dir(out, overwrite=True) as tmp:
        for placeholder in kept:
            shutil.copy2(placeholder, tmp / placeholder.name)
        for name, frame in data.tables.items():
            _write(frame, tmp / f"{name}.{fmt}", fmt)
        (tmp / "mapping.yaml").write_text(
            "# How to read this export (crm_analysis.io.load_raw uses it automatically).\n"
            "base: synthetic\n",
            encoding="utf-8",
        )
        truth = tmp / "_truth"
        (truth / "clean").mkdir(parents=True)
        for name, frame in data.truth.items():
            _write(frame, truth / f"{name}.parquet", "parquet")
        for name, frame in data.clean.items():
            _write(frame, truth / "clean" / f"{name}.parquet", "parquet")
        (truth / "config.json").write_text(
            json.dumps(data.config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return out


def write_default_dataset(raw_dir: str | os.PathLike[str]) -> Path:
    """Build the default data set (``SyntheticConfig()``, CSV) into an empty ``raw_dir``.

    This is what ``make data`` and ``crm-analysis report`` do when the default data root holds
    no data yet.
    """
    from crm_analysis.synthetic.config import SyntheticConfig
    from crm_analysis.synthetic.generator import generate

    return write_dataset(generate(SyntheticConfig()), raw_dir, fmt="csv")
