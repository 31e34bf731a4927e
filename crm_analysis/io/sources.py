"""Reading raw tables from a folder of files or from a SQL database, untouched.

CSV files are read as text (every value a string, only empty fields missing) so that parsing,
with the mapping's separators and date formats, happens in one place (``parse``). Parquet and
SQL values arrive with the types their source gave them.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_analysis.io.dialect import SEPARATORS, Dialect, detect_dialect
from crm_analysis.io.errors import DataContractError, EmptyTableError, Problem, RowLocator
from crm_analysis.io.mapping import SourceMapping, TableMapping

PASSWORD_ENV = "CRM_DB_PASSWORD"
"""Environment variable holding the database password for a URL written without one."""

URL_ENV = "CRM_DB_URL"
"""Environment variable that may hold the whole database URL; pass ``source="env:CRM_DB_URL"``."""

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")
"""File types a folder source may hold, tried in this order for ``<table><suffix>``."""


@dataclass
class RawTable:
    """One table as read: the frame, where it came from and how its rows are numbered."""

    frame: pd.DataFrame
    locator: RowLocator
    text: bool  # values are CSV text (the dialect's decimal and thousands marks apply)
    dialect: Dialect | None = None  # how the CSV file is written (None: Parquet or SQL)


def is_sql_source(source: object) -> bool:
    """True if ``source`` is a database URL (``dialect+driver://...``) or ``env:NAME``."""
    return isinstance(source, str) and ("://" in source or source.startswith("env:"))


# --- folders -------------------------------------------------------------------------------------


def _data_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(SUFFIXES))


def find_file(folder: Path, table: str, spec: TableMapping) -> Path | None:
    """The file of ``table`` in ``folder``, or None if there is none.

    ``spec.file`` names or glob patterns are tried in order (default ``<table>.csv``,
    ``<table>.csv.gz``, ``<table>.parquet``); a pattern that matches several files is an error.
    """
    patterns = spec.file or tuple(f"{table}{suffix}" for suffix in SUFFIXES)
    for pattern in patterns:
        matches = sorted(p for p in folder.glob(pattern) if p.is_file())
        if len(matches) > 1:
            raise DataContractError(
                [
                    Problem(
                        str(folder),
                        table,
                        None,
                        f"{pattern!r} matches several files "
                        f"({', '.join(p.name for p in matches)}); "
                        "name one with `file:` in the mapping",
                    )
                ]
            )
        if matches:
            return matches[0]
    return None


def missing_file_problem(folder: Path, table: str, spec: TableMapping) -> Problem:
    """A problem saying which file was looked for and which data files exist."""
    looked = spec.file or tuple(f"{table}{suffix}" for suffix in SUFFIXES)
    found = _data_files(folder) if folder.is_dir() else []
    return Problem(
        str(folder),
        table,
        None,
        f"no file for the required table (looked for {', '.join(looked)}; "
        f"found: {', '.join(found) or 'no CSV or Parquet files'})",
    )


def _undecodable_line(path: Path, encoding: str) -> tuple[int, str] | None:
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    if path.name.endswith(".gz"):
        with gzip.open(path) as handle:
            data = handle.read()
    else:
        data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        return data[: exc.start].count(b"\n") + 1, data[exc.start : exc.start + 1].hex()
    return None


def _read_csv(path: Path, dialect: Dialect) -> pd.DataFrame:
    """Every column as text, empty fields (and the dialect's missing markers) missing.
    pyarrow's multi-threaded reader first (about 4x faster than pandas' C parser and half the
    memory); on any problem the C parser reads the file again, whose errors (bad bytes, ragged
    rows) :func:`read_file` turns into messages."""
    options = dict(dtype=str, keep_default_na=False, na_values=["", *dialect.missing],
                   encoding=dialect.encoding, sep=dialect.separator, compression="infer")
    try:
        return pd.read_csv(path, engine="pyarrow", **options)
    except Exception:
        return pd.read_csv(path, **options)


def read_xlsx(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """The first sheet of an Excel workbook (or the one named), through openpyxl.

    Cells keep their Excel types (numbers, dates, text) and empty cells are missing; the loader
    parses them as it parses a database's values. Raises ``ValueError`` naming the sheets when
    the named sheet does not exist.
    """
    try:
        return pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object,
                             engine="openpyxl")
    except ValueError as exc:
        if sheet is not None and "not found" in str(exc):
            import openpyxl

            names = openpyxl.load_workbook(path, read_only=True).sheetnames
            raise ValueError(f"no sheet {sheet!r} (sheets: {', '.join(names)}); set `sheet:` "
                             "in the mapping") from exc
        raise


def read_file(path: Path, table: str, mapping: SourceMapping) -> RawTable:
    """Read one CSV (optionally gzipped), Parquet or Excel (``.xlsx``) file.

    Raises
    ------
    DataContractError
        Empty file (no header or no rows), undecodable bytes (names the encoding tried and the
        first bad line), malformed CSV.
    """
    locator = RowLocator(str(path), table, header_rows=1, label="spreadsheet row")
    is_csv = not path.name.endswith((".parquet", ".xlsx"))
    dialect = None
    try:
        if is_csv:
            dialect = detect_dialect(path, separator=mapping.separator, decimal=mapping.decimal,
                                     thousands=mapping.thousands, encoding=mapping.encoding)
            frame = _read_csv(path, dialect)
        elif path.name.endswith(".xlsx"):
            frame = read_xlsx(path, mapping.table(table).sheet)
        else:
            frame = pd.read_parquet(path)
    except pd.errors.EmptyDataError as exc:
        raise DataContractError(
            [Problem(str(path), table, None, "the file is empty (no header, no rows)")]
        ) from exc
    except UnicodeDecodeError as exc:
        encoding = dialect.encoding if dialect is not None else mapping.encoding or "utf-8"
        where = _undecodable_line(path, encoding)
        detail = f" (first bad byte 0x{where[1]} on line {where[0]})" if where else ""
        raise DataContractError(
            [
                Problem(
                    str(path),
                    table,
                    None,
                    f"cannot be decoded as {encoding}{detail}; "
                    "set `encoding:` in the mapping "
                    "(exports from Excel on Windows are often cp1252 or latin-1)",
                )
            ]
        ) from exc
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DataContractError(
            [Problem(str(path), table, None, f"cannot be read: {exc}")]
        ) from exc
    if frame.empty:
        raise EmptyTableError(
            [
                Problem(
                    str(path),
                    table,
                    None,
                    "the file has a header but no data rows "
                    f"(columns: {', '.join(map(str, frame.columns))})",
                )
            ]
        )
    if dialect is not None and dialect.separator == "," and len(frame.columns) == 1:
        only = str(frame.columns[0])
        other = next((s for s in SEPARATORS[1:] if s in only), None)
        if other is not None:
            raise DataContractError([Problem(
                str(path), table, None,
                f"the file reads as one column {only!r}: it looks separated by {other!r}, which "
                f"could not be confirmed from the file; set `separator: {other!r}` in the "
                "mapping")])
    return RawTable(frame, locator, text=is_csv, dialect=dialect)


def read_folder_query(folder: Path, table: str, query: str) -> RawTable:
    """Run a mapping's ``query:`` in DuckDB over the files of ``folder``, each addressed by its
    file name (``from 'orders_export.csv' o join 'customers.parquet' c using (customer_id)``).

    DuckDB reads CSV (also ``.csv.gz``) with its own sniffer and Parquet as typed; a CSV with
    decimal commas needs ``read_csv('file.csv', decimal_separator = ',')`` in the query. The
    result keeps DuckDB's types (the loader parses them like a database's).

    Raises
    ------
    DataContractError
        The query fails (the message names it and DuckDB's error) or returns no rows
        (:class:`EmptyTableError`).
    """
    import duckdb

    label = f"{folder} (query for {table}: {query.strip()!r})"
    locator = RowLocator(label, table, header_rows=0, label="result row")
    try:
        with duckdb.connect() as con:
            con.execute("set file_search_path = ?", [str(folder)])
            frame = con.execute(query).df()
    except duckdb.Error as exc:
        raise DataContractError([Problem(label, table, None, f"the query failed: "
                                         f"{_first_line(exc)}")]) from exc
    if frame.empty:
        raise EmptyTableError([Problem(label, table, None, "the query returned no rows "
                                       f"(columns: {', '.join(map(str, frame.columns))})")])
    return RawTable(frame, locator, text=False)


# --- SQL -----------------------------------------------------------------------------------------


def resolve_url(source: str) -> sa.URL:
    """The database URL, with the password taken from the environment.

    ``env:NAME`` reads the whole URL from the environment variable ``NAME`` (e.g.
    ``env:CRM_DB_URL``). A URL without a password gets ``$CRM_DB_PASSWORD`` if that is set;
    otherwise PostgreSQL's libpq still reads ``PGPASSWORD`` / ``~/.pgpass`` itself.
    """
    if source.startswith("env:"):
        name = source[4:] or URL_ENV
        value = os.environ.get(name)
        if not value:
            raise DataContractError(
                [Problem(source, "orders", None, f"environment variable {name} is not set")]
            )
        source = value
    try:
        url = sa.make_url(source)
    except sa.exc.ArgumentError as exc:
        raise DataContractError(
            [Problem("database URL", "orders", None, f"not a valid SQLAlchemy URL: {exc}")]
        ) from exc
    if url.password is None and os.environ.get(PASSWORD_ENV):
        url = url.set(password=os.environ[PASSWORD_ENV])
    return url


def masked(url: sa.URL) -> str:
    """The URL as shown in messages: the password replaced by ``***``."""
    return url.render_as_string(hide_password=True)


class SqlReader:
    """Reads contract tables (by name or query) over one SQLAlchemy engine."""

    def __init__(self, url: sa.URL) -> None:
        self.url = url
        self.label = masked(url)
        self.engine = sa.create_engine(url)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def table_names(self, schema: str | None = None) -> list[str]:
        """Tables and views in ``schema`` (default schema if None)."""
        try:
            inspector = sa.inspect(self.engine)
            return sorted(inspector.get_table_names(schema) + inspector.get_view_names(schema))
        except sa.exc.SQLAlchemyError as exc:
            raise DataContractError(
                [
                    Problem(
                        self.label,
                        "orders",
                        None,
                        f"cannot connect or list tables: {_first_line(exc)}",
                    )
                ]
            ) from exc

    def where(self, table: str, spec: TableMapping) -> str:
        """How messages name the origin of ``table``."""
        if spec.query:
            return f"{self.label} (query for {table}: {spec.query.strip()!r})"
        name = spec.table or table
        return f"{self.label} (table {spec.schema + '.' if spec.schema else ''}{name})"

    def _name(self, table: str, spec: TableMapping) -> str:
        """The table's name as SQLAlchemy lists and reflects it.

        Oracle (and other dialects that fold names to upper case) list case-insensitive names
        in lower case: ``table: ORDERS``, as Oracle's own tools show it, is ``orders`` there.
        Only those dialects normalise; elsewhere the name is taken as written.
        """
        name = spec.table or table
        dialect = self.engine.dialect
        return dialect.normalize_name(name) if dialect.requires_name_normalize else name

    def exists(self, table: str, spec: TableMapping) -> bool:
        """True if the table is given by a query or exists in the database."""
        return bool(spec.query) or self._name(table, spec) in self.table_names(spec.schema)

    def read(self, table: str, spec: TableMapping) -> RawTable:
        """Read a table or run a query; an empty result raises :class:`EmptyTableError`."""
        where = self.where(table, spec)
        locator = RowLocator(where, table, header_rows=0, label="result row")
        try:
            with self.engine.connect() as conn:
                if spec.query:
                    frame = read_sql_streamed(conn, sa.text(spec.query))
                else:
                    frame = _read_sql_table(conn, self._name(table, spec), spec.schema)
        except (sa.exc.SQLAlchemyError, ValueError) as exc:
            raise DataContractError(
                [Problem(where, table, None, f"cannot be read: {_first_line(exc)}")]
            ) from exc
        if frame.empty:
            raise EmptyTableError(
                [
                    Problem(
                        where,
                        table,
                        None,
                        f"no rows (columns: {', '.join(map(str, frame.columns))})",
                    )
                ]
            )
        return RawTable(frame, locator, text=False)

    def missing_problem(self, table: str, spec: TableMapping) -> Problem:
        """A problem naming the missing table and the tables that exist."""
        found = self.table_names(spec.schema)
        return Problem(
            self.label,
            table,
            None,
            f"no table {spec.table or table!r} for the required table (found: "
            f"{', '.join(found) or 'no tables'}); "
            "name one with `table:` or `query:` in the mapping",
        )


def _read_sql_table(conn: sa.Connection, name: str, schema: str | None) -> pd.DataFrame:
    """A whole table with the values its driver gives.

    Not ``pandas.read_sql_table``: that one turns every value of a DATE/DATETIME column it
    cannot convert into NaT without a word, and MySQL's zero dates (``0000-00-00``, which
    pymysql hands over as text) would then vanish or pass as missing; read as they come, the
    loader names them as bad values. Time-zone aware columns are given in UTC, as
    ``read_sql_table`` gives them.
    """
    reflected = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=conn)
    return read_sql_streamed(conn, sa.select(reflected), utc=True)


STREAM_CHUNK_ROWS = 50_000
"""Rows fetched at a time by :func:`read_sql_streamed` (and the driver's row buffer)."""


def read_sql_streamed(
    conn: sa.Connection, statement: sa.Executable, *, utc: bool = False
) -> pd.DataFrame:
    """The whole result of ``statement`` as one frame, fetched in chunks of
    :data:`STREAM_CHUNK_ROWS` rows over a server-side cursor (``stream_results``: psycopg's
    named cursor, pymysql's ``SSCursor``; SQLite fetches as it goes anyway).

    ``pd.read_sql_query`` without a chunk size holds every row as Python objects *and* the
    frame built from them. Here only one chunk of rows is held at a time: each becomes a small
    frame (pandas' own conversion, so values and dtypes are those of a plain read), its columns
    are kept apart, and each column is joined once at the end, so the peak is about the final
    frame plus one column. A column whose chunks came out with different dtypes (a chunk all
    NULL, MySQL zero dates as text in only some chunks) is inferred again over all its values,
    as a plain read infers it. ``utc``: time-zone aware columns are converted to UTC (as
    ``pandas.read_sql_table`` gives them). An empty result keeps its columns.
    """
    conn = conn.execution_options(stream_results=True, max_row_buffer=STREAM_CHUNK_ROWS)
    names: pd.Index | None = None
    pieces: list[list[pd.Series]] = []
    for chunk in pd.read_sql_query(statement, conn, chunksize=STREAM_CHUNK_ROWS):
        if names is None:
            names = chunk.columns
            pieces = [[] for _ in range(len(names))]
        for i in range(len(names)):
            piece = chunk.iloc[:, i].reset_index(drop=True).copy(deep=True)  # its own buffer
            if utc and isinstance(piece.dtype, pd.DatetimeTZDtype):
                piece = piece.dt.tz_convert("UTC")
            pieces[i].append(piece)
        del chunk
    assert names is not None  # read_sql_query yields one (empty) frame for an empty result
    columns = {}
    for i in range(len(names)):
        parts, pieces[i] = pieces[i], []
        columns[i] = _join_column(parts)
        del parts
    frame = pd.DataFrame(columns, copy=False)  # no copy: one block per column
    frame.columns = names
    return frame


def _join_column(parts: list[pd.Series]) -> pd.Series:
    """One column from its chunks; dtypes that differ are inferred again as one whole."""
    if len(parts) == 1:
        return parts[0]
    if len({str(part.dtype) for part in parts}) == 1:
        return pd.concat(parts, ignore_index=True)
    # one object column inferred again as a whole, in C (no loop over rows): floats with the
    # NULLs of an all-NULL chunk become float64, dates datetime64, mixed values stay objects
    values = np.concatenate([part.to_numpy(dtype=object) for part in parts])
    return pd.Series(values, dtype=object).infer_objects()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
