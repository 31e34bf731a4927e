"""Processed tables: Parquet files in ``data/processed/``, written atomically.

A reader never sees a half-written table: the frame goes to a hidden temporary file in the same
folder first and is renamed into place (``crm_analysis.atomic``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path

import pandas as pd

from crm_analysis.atomic import atomic_path
from crm_analysis.engines import EngineConfig, as_engine

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def table_path(name: str, directory: str | os.PathLike[str]) -> Path:
    """The Parquet path of table ``name`` in ``directory`` (``<directory>/<name>.parquet``)."""
    if not _NAME.match(name) or name.endswith(".parquet"):
        raise ValueError(
            f"table name {name!r} must be a plain name like 'orders' (no path, no suffix)"
        )
    return Path(directory) / f"{name}.parquet"


def write_table(df: pd.DataFrame, name: str, directory: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``<directory>/<name>.parquet`` atomically (temporary file, then rename).

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its index is kept only if it is not a default ``RangeIndex``.
    name : str
        Table name (file stem).
    directory : str or path
        Target folder, created if missing.

    Returns
    -------
    pathlib.Path
        The written file.

    Notes
    -----
    Timestamps are stored in microseconds (Parquet ``TIMESTAMP(MICROS)``), the unit every
    engine reads (Spark cannot read nanosecond Parquet timestamps); finer digits are dropped.
    """
    path = table_path(name, directory)
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, engine="pyarrow", index=None, coerce_timestamps="us",
                      allow_truncated_timestamps=True)
    return path


def read_table(name: str, directory: str | os.PathLike[str]) -> pd.DataFrame:
    """Read ``<directory>/<name>.parquet`` written by ``write_table``.

    Raises
    ------
    FileNotFoundError
        Naming the path and the tables that exist in ``directory``.
    """
    path = table_path(name, directory)
    if not path.is_file():
        folder = Path(directory)
        present = sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []
        raise FileNotFoundError(
            f"no processed table {name!r} at {path} (present: {', '.join(present) or 'none'})"
        )
    return pd.read_parquet(path, engine="pyarrow")


def scan_table(name: str, directory: str | os.PathLike[str]) -> Path:
    """The Parquet file of processed table ``name``, for an engine to scan.

    Raises
    ------
    FileNotFoundError
        As :func:`read_table`: naming the path and the tables present.
    """
    path = table_path(name, directory)
    if not path.is_file():
        read_table(name, directory)  # raises, naming the tables present
    return path


def processed_tables(names: Iterable[str], directory: str | os.PathLike[str], *,
                     scan: Collection[str] = (),
                     engine: EngineConfig | str | None = None) -> dict[str, pd.DataFrame | Path]:
    """The tables among ``names`` that exist in ``directory``, read or handed to the engine.

    What a notebook does first: its optional tables are whichever cleaning wrote. Tables in
    ``scan`` are the ones the notebook only passes to functions behind the engine seam: on
    DuckDB and Spark they stay files (:func:`scan_table`, the engine scans them and they never
    enter pandas); on pandas, and for every other name, they are read (:func:`read_table`).

    Parameters
    ----------
    names : iterable of str
        Table names, in the order wanted.
    directory : str or path
        The processed folder.
    scan : collection of str
        Names to hand to the engine as files on the SQL engines.
    engine : EngineConfig or str, optional
        The engine the notebook passes its tables to (default pandas).

    Returns
    -------
    dict
        Name -> DataFrame (or Parquet path), only for the tables present.
    """
    as_file = as_engine(engine).is_sql
    return {name: (scan_table if as_file and name in scan else read_table)(name, directory)
            for name in names if table_path(name, directory).is_file()}


def write_json(data: dict, name: str, directory: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``<directory>/<name>.json`` atomically (sorted keys, UTF-8)."""
    path = table_path(name, directory).with_suffix(".json")
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n",
                       encoding="utf-8")
    return path


def read_json(name: str, directory: str | os.PathLike[str]) -> dict:
    """Read ``<directory>/<name>.json`` written by :func:`write_json`."""
    path = table_path(name, directory).with_suffix(".json")
    if not path.is_file():
        raise FileNotFoundError(f"no {name}.json in {directory}: run the notebook that writes it")
    return json.loads(path.read_text(encoding="utf-8"))
