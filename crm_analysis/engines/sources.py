"""Engine inputs: a pandas DataFrame, a path or glob of Parquet/CSV files, or a Spark DataFrame.

What every engine asks of an input before it scans it: its columns (files: the schema only),
whether it has a row, where its files lie and in which format.
"""

from __future__ import annotations

import os

import pandas as pd

__all__ = ["as_path", "duckdb_reader", "is_spark_frame", "plain_frame", "source_columns",
           "source_has_rows"]


def _file_format(path: str) -> str:
    lower = path.lower()
    for suffix, fmt in ((".parquet", "parquet"), (".pq", "parquet"), (".csv", "csv"),
                        (".csv.gz", "csv")):
        if lower.endswith(suffix):
            return fmt
    raise ValueError(f"cannot tell the file format of {path!r}: name Parquet files *.parquet "
                     "and CSV files *.csv (a glob such as 'orders/*.parquet' is fine)")


def as_path(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(path or glob, ``"parquet"`` or ``"csv"``) of a file input; a folder means its Parquet files.

    Raises
    ------
    ValueError
        A name whose format cannot be told from its suffix.
    """
    path = os.fspath(source)
    if os.path.isdir(path):
        path = os.path.join(path, "*.parquet")
    return path, _file_format(path)


def duckdb_reader(path: str, fmt: str) -> str:
    """DuckDB table function reading the files ``path`` (a glob is fine) of format ``fmt``."""
    quoted = path.replace("'", "''")
    return (f"read_parquet('{quoted}', union_by_name = true)" if fmt == "parquet"
            else f"read_csv('{quoted}', header = true, union_by_name = true)")


def is_spark_frame(obj: object) -> bool:
    """Whether ``obj`` is a Spark DataFrame (without importing pyspark)."""
    return type(obj).__module__.startswith("pyspark.") and hasattr(obj, "createOrReplaceTempView")


def plain_frame(df: pd.DataFrame, datetime_col: str | None) -> pd.DataFrame:
    """Time-zone aware dates to wall-clock time (as the pandas engine reads them)."""
    if (datetime_col and datetime_col in df.columns
            and isinstance(df[datetime_col].dtype, pd.DatetimeTZDtype)):
        df = df.assign(**{datetime_col: df[datetime_col].dt.tz_localize(None)})
    return df


def _describe_files(source: str | os.PathLike[str], query: str) -> list[tuple]:
    from crm_analysis.engines.runners import duckdb_connect

    con = duckdb_connect()
    try:
        return con.execute(query.format(src=duckdb_reader(*as_path(source)))).fetchall()
    finally:
        con.close()


def source_columns(source: object) -> list[str]:
    """Column names of an engine input, reading only the schema of files.

    Parameters
    ----------
    source : DataFrame, Spark DataFrame, path or glob of Parquet/CSV files, or None
        ``None`` has no columns.

    Returns
    -------
    list of str
    """
    if source is None:
        return []
    if hasattr(source, "columns") and not isinstance(source, str | os.PathLike):
        return [str(c) for c in source.columns]
    return [row[0] for row in _describe_files(source, "DESCRIBE SELECT * FROM {src}")]  # type: ignore[arg-type]


def source_has_rows(source: object) -> bool:
    """Whether an engine input holds at least one row (files: DuckDB reads at most one row).

    Parameters
    ----------
    source : DataFrame, Spark DataFrame, path or glob of Parquet/CSV files, or None
    """
    if source is None:
        return False
    if isinstance(source, pd.DataFrame):
        return len(source) > 0
    if is_spark_frame(source):
        return bool(source.limit(1).count())  # type: ignore[attr-defined]
    return bool(_describe_files(source, "SELECT 1 FROM {src} LIMIT 1"))  # type: ignore[arg-type]
