"""Input and output: load raw sources onto the data contract; read and write processed tables.

Public API
----------
- ``load_raw(source, mapping=None, *, tables=None) -> RawData``
- ``validate_raw(raw) -> list[Finding]``
- ``write_table(df, name, directory) -> Path`` and ``read_table(name, directory) -> DataFrame``;
  ``scan_table(name, directory) -> Path`` (the file, for an engine to scan);
  ``processed_tables(names, directory, scan=..., engine=...)``: those of ``names`` present,
  read, or as files for the DuckDB/Spark engines
- ``write_json(data, name, directory)`` and ``read_json(name, directory)`` (run metadata)
- ``write_people_csv(frame, path)`` (formula-safe lists for spreadsheets) and
  ``write_import_csv(frame, path)`` (exact values for import jobs); ``spreadsheet_safe(frame)``
- ``load_mapping(mapping) -> SourceMapping``, ``shipped_mappings()``
- ``DataContractError`` (a ``ValueError``), with ``.problems``
"""

from crm_analysis.io.errors import DataContractError, Problem
from crm_analysis.io.lists import spreadsheet_safe, write_import_csv, write_people_csv
from crm_analysis.io.load import RawData, load_raw
from crm_analysis.io.mapping import SourceMapping, TableMapping, load_mapping, shipped_mappings
from crm_analysis.io.processed import (
    processed_tables,
    read_json,
    read_table,
    scan_table,
    write_json,
    write_table,
)
from crm_analysis.io.sources import PASSWORD_ENV, URL_ENV
from crm_analysis.io.validate import Finding, validate_raw

__all__ = [
    "PASSWORD_ENV",
    "URL_ENV",
    "DataContractError",
    "Finding",
    "Problem",
    "RawData",
    "SourceMapping",
    "TableMapping",
    "load_mapping",
    "load_raw",
    "processed_tables",
    "read_json",
    "read_table",
    "scan_table",
    "shipped_mappings",
    "spreadsheet_safe",
    "validate_raw",
    "write_import_csv",
    "write_json",
    "write_people_csv",
    "write_table",
]
