"""The engine seam: which engine scans transaction tables, and how a SQL engine is run.

A low layer (it imports nothing of the package but :mod:`crm_analysis.columns`): ``io``,
``features`` and the analysis rooms build on it.

- :mod:`~crm_analysis.engines.config`: :class:`EngineConfig`, built once and passed on;
- :mod:`~crm_analysis.engines.dialects`: the SQL spellings that differ;
- :mod:`~crm_analysis.engines.sources`: what an input is (frame, files, Spark frame);
- :mod:`~crm_analysis.engines.runners`: DuckDB connections, Spark sessions, one query's run.

The SQL of each aggregation lives beside its pandas twin (e.g. ``features/rfm_sql.py``).
"""

from crm_analysis.engines.config import ENGINES, ENVIRONMENT, EngineConfig, as_engine
from crm_analysis.engines.dialects import DIALECTS, Dialect, before_sql, ident, period_sql
from crm_analysis.engines.runners import (
    Table,
    duckdb_connect,
    run_query,
    run_tables_query,
    spark_session,
)
from crm_analysis.engines.sources import source_columns, source_has_rows

__all__ = ["DIALECTS", "ENGINES", "ENVIRONMENT", "Dialect", "EngineConfig", "Table", "as_engine",
           "before_sql", "duckdb_connect", "ident", "period_sql", "run_query",
           "run_tables_query", "source_columns", "source_has_rows", "spark_session"]
