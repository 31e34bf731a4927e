"""Running one SQL query over engine inputs on DuckDB or Spark, with the configured limits.

The sessions (an in-process DuckDB connection, a SparkSession) are opened here from an
:class:`~crm_analysis.engines.EngineConfig`; the inputs are registered as views, the query is
built for the engine's dialect, and its (small) result comes back as a pandas DataFrame.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from crm_analysis.columns import require_columns
from crm_analysis.engines.config import EngineConfig
from crm_analysis.engines.sources import as_path, duckdb_reader, is_spark_frame, plain_frame

__all__ = ["Table", "duckdb_connect", "run_query", "run_tables_query", "spark_session"]


def duckdb_connect(config: EngineConfig | None = None) -> Any:
    """An in-process DuckDB connection with the configuration's memory limit, spill folder, threads.

    Also: time zone UTC (timestamps read as wall-clock times, as pandas does) and no progress
    bars. Without a configuration: DuckDB's defaults (80% of RAM, all cores).

    Returns
    -------
    duckdb.DuckDBPyConnection
    """
    import duckdb

    config = config or EngineConfig("duckdb")
    con = duckdb.connect()
    if config.duckdb_memory_limit:
        con.execute(f"SET memory_limit = '{config.duckdb_memory_limit}'")
    if config.duckdb_temp_directory:
        con.execute("SET temp_directory = '"
                    + config.duckdb_temp_directory.replace("'", "''") + "'")
    if config.duckdb_threads:
        con.execute(f"SET threads = {int(config.duckdb_threads)}")
    con.execute("SET TimeZone = 'UTC'")
    # no progress bars in logs and reports; inside Jupyter without ipywidgets DuckDB refuses
    # the setting, and draws no bars there anyway
    with contextlib.suppress(duckdb.Error):
        con.execute("SET enable_progress_bar = false")
    return con


def spark_session(config: EngineConfig | None = None) -> Any:
    """The active SparkSession, or a new one from the configuration (time zone UTC either way).

    Returns
    -------
    pyspark.sql.SparkSession
    """
    from pyspark.sql import SparkSession

    config = config or EngineConfig("spark")
    spark = SparkSession.getActiveSession()
    if spark is None:
        builder = (SparkSession.builder.appName("crm-analysis")
                   .master(config.spark_master)
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false"))
        if config.spark_driver_memory:
            builder = builder.config("spark.driver.memory", config.spark_driver_memory)
        if config.spark_shuffle_partitions:
            builder = builder.config("spark.sql.shuffle.partitions",
                                     str(config.spark_shuffle_partitions))
        spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    return spark


@dataclass(frozen=True)
class Table:
    """One input of a SQL query: where it lies, the columns read, a wall-clock date column."""

    source: object  # DataFrame, path/glob, or Spark DataFrame
    needed: list[str]
    datetime_col: str | None = None


def _run_duckdb(tables: dict[str, Table], make_sql: Any, config: EngineConfig) -> pd.DataFrame:
    con = duckdb_connect(config)
    try:
        views = {}
        for name, table in tables.items():
            src = table.source
            if isinstance(src, pd.DataFrame):
                require_columns(list(src.columns), table.needed)
                con.register(f"crm_{name}", plain_frame(src, table.datetime_col))
                views[name] = f"crm_{name}"
            elif isinstance(src, str | os.PathLike):
                views[name] = duckdb_reader(*as_path(src))
                columns = [r[0] for r in
                           con.execute(f"DESCRIBE SELECT * FROM {views[name]}").fetchall()]
                require_columns(columns, table.needed)
            else:
                raise TypeError("engine='duckdb' takes a pandas DataFrame or a path/glob of "
                                f"Parquet or CSV files, got {type(src).__name__}")
        return con.execute(make_sql(views, "duckdb")).df()
    finally:
        con.close()


def _spark_frame(spark: Any, table: Table, folder: str, name: str) -> Any:
    src = table.source
    if is_spark_frame(src):
        return src
    if isinstance(src, pd.DataFrame):
        # through a Parquet file (microsecond timestamps): robust across pandas/pyspark
        # versions, unlike createDataFrame's type inference
        import pyarrow as pa
        import pyarrow.parquet as pq

        require_columns(list(src.columns), table.needed)
        file = os.path.join(folder, f"{name}.parquet")
        arrow = pa.Table.from_pandas(plain_frame(src, table.datetime_col)[table.needed],
                                     preserve_index=False)
        pq.write_table(arrow, file, coerce_timestamps="us", allow_truncated_timestamps=True)
        return spark.read.parquet(file)
    if isinstance(src, str | os.PathLike):
        path, fmt = as_path(src)
        return (spark.read.parquet(path) if fmt == "parquet"
                else spark.read.csv(path, header=True, inferSchema=True))
    raise TypeError("engine='spark' takes a Spark DataFrame, a pandas DataFrame or a "
                    f"path/glob of Parquet or CSV files, got {type(src).__name__}")


def _run_spark(tables: dict[str, Table], make_sql: Any, config: EngineConfig) -> pd.DataFrame:
    spark = spark_session(config)
    views: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="crm-spark-") as folder:
        try:
            for name, table in tables.items():
                frame = _spark_frame(spark, table, folder, name)
                require_columns(list(frame.columns), table.needed)
                views[name] = f"crm_{name}_{os.getpid()}_{id(frame)}"
                frame.createOrReplaceTempView(views[name])
            result = spark.sql(make_sql(views, "spark"))
            if hasattr(result, "toArrow"):  # Spark >= 4: no pandas-version warnings
                return result.toArrow().to_pandas()
            return result.toPandas()
        finally:
            for view in views.values():
                spark.catalog.dropTempView(view)


def run_tables_query(
    tables: dict[str, Table],
    engine: EngineConfig,
    make_sql: Callable[[dict[str, str], str], str],
) -> pd.DataFrame:
    """Run one SQL query over several named inputs on DuckDB or Spark.

    Parameters
    ----------
    tables : dict of str to Table
        The inputs by name (each a DataFrame, Parquet/CSV path or glob, or Spark DataFrame,
        with the columns the query reads).
    engine : EngineConfig
        A SQL engine (``duckdb`` or ``spark``) and its limits.
    make_sql : callable
        ``make_sql(views, dialect) -> str``, given ``{name: table expression}`` and the dialect
        name (a key of :data:`~crm_analysis.engines.DIALECTS`).

    Returns
    -------
    DataFrame
        The (small) result in pandas.

    Raises
    ------
    ValueError
        The pandas engine (it runs no SQL), or an input without a column the query reads.
    """
    runners = {"duckdb": _run_duckdb, "spark": _run_spark}
    if engine.name not in runners:
        raise ValueError(f"engine must be one of {list(runners)} for a SQL query, "
                         f"got {engine.name!r}")
    return runners[engine.name](tables, make_sql, engine)


def run_query(
    transactions: object,
    engine: EngineConfig,
    make_sql: Callable[[str, str], str],
    *,
    needed: list[str],
    datetime_col: str | None = None,
) -> pd.DataFrame:
    """Run one SQL aggregation of a transaction source on DuckDB or Spark.

    Parameters
    ----------
    transactions : DataFrame, str, Path or Spark DataFrame
        The log or where it lies (Parquet/CSV path, glob or folder of Parquet files).
    engine : EngineConfig
        A SQL engine and its limits.
    make_sql : callable
        ``make_sql(source, dialect) -> str``: the query, given the table expression to read
        from and the dialect name (a key of :data:`~crm_analysis.engines.DIALECTS`).
    needed : list of str
        Columns the query reads; missing ones raise ``ValueError`` naming them.
    datetime_col : str, optional
        A timestamp column to read as wall-clock time (time-zone aware pandas columns are made
        naive first, as the pandas engine reads them).

    Returns
    -------
    DataFrame
        The query's result in pandas (small: one row per customer or per customer-day).
    """
    return run_tables_query({"transactions": Table(transactions, needed, datetime_col)}, engine,
                            lambda views, dialect: make_sql(views["transactions"], dialect))
