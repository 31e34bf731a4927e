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


def scan_table(name: str, directory: str | os.PathLike[str],
               engine: str | None = None) -> pd.DataFrame | str:
    """A processed table to hand to the engine seam: its file on DuckDB/Spark, else a frame.

    For tables that a notebook only passes to functions behind the engine seam (e.g. orders,
    order items and products to :func:`crm_analysis.demand.analyse`): on the SQL engines the
    engine scans the Parquet file and the table never enters pandas; on pandas it is read.

    Parameters
    ----------
    name, directory
        As for :func:`read_table`.
    engine : {"pandas", "duckdb", "spark"}, optional
        Default ``$CRM_ENGINE`` or pandas (the run setting ``engine`` of a report run).

    Returns
    -------
    DataFrame or str
        The table (pandas engine) or the path of its Parquet file.

    Raises
    ------
    FileNotFoundError
        As :func:`read_table`, on every engine.
    """
    from crm_analysis.features.engines import resolve_engine

    if resolve_engine(engine) == "pandas":
        return read_table(name, directory)
    path = table_path(name, directory)
    if not path.is_file():
        read_table(name, directory)  # raises, naming the tables present
    return str(path)


def processed_tables(names: Iterable[str], directory: str | os.PathLike[str], *,
                     scan: Collection[str] = ()) -> dict[str, pd.DataFrame | str]:
    """The tables among ``names`` that exist in ``directory``, read or handed to the engine.

    What a notebook does first: its optional tables are whichever cleaning wrote. Tables in
    ``scan`` are the ones the notebook only passes to functions behind the engine seam; they
    come from :func:`scan_table` (the Parquet path on DuckDB/Spark, a frame on pandas), the
    rest from :func:`read_table`.

    Parameters
    ----------
    names : iterable of str
        Table names, in the order wanted.
    directory : str or path
        The processed folder.
    scan : collection of str
        Names to hand to the engine as files on the SQL engines.

    Returns
    -------
    dict
        Name -> DataFrame (or path), only for the tables present.
    """
    return {name: (scan_table if name in scan else read_table)(name, directory)
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
