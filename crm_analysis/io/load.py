"""``load_raw``: read a source, map it onto the contract, parse types, check structure.

Loading writes nothing. Every problem found in a table (missing columns, unparseable values,
empty required values, key conflicts) is collected, and all problems of all tables are raised
together as one ``DataContractError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

import pandas as pd

from crm_analysis.io.columns import candidates, looks_like_invoice_lines
from crm_analysis.io.dates import AmbiguousDates, infer_date_formats
from crm_analysis.io.dialect import Dialect, detect_dialect
from crm_analysis.io.errors import DataContractError, EmptyTableError, Problem, RowLocator
from crm_analysis.io.mapping import (
    DEFAULT_DATE_FORMATS,
    TRANSFORM_INPUTS,
    TRANSFORM_REQUIRED,
    SourceMapping,
    TableMapping,
    load_mapping,
)
from crm_analysis.io.parse import parse_column
from crm_analysis.io.retail import retail_tables
from crm_analysis.io.sources import (
    SUFFIXES,
    RawTable,
    SqlReader,
    find_file,
    is_sql_source,
    missing_file_problem,
    read_file,
    read_folder_query,
    resolve_url,
)
from crm_analysis.memory import release_memory
from crm_analysis.money import line_value, order_totals
from crm_analysis.schema import SCHEMAS, TABLES, SchemaErrors, key_conflicts

FOLDER_MAPPING = "mapping.yaml"
"""A folder of exports may carry its mapping under this name; ``load_raw`` then uses it."""

MappingLike = str | os.PathLike[str] | Mapping[str, Any] | SourceMapping | None


@dataclass(frozen=True)
class RawData(Mapping[str, pd.DataFrame]):
    """Loaded raw tables: a read-only mapping ``table name -> DataFrame``.

    Every frame has the contract's column names (those present, in contract order) and dtypes.

    Attributes
    ----------
    frames : dict
        The present tables.
    source : str
        Where the data came from (folder path, or database URL with the password masked).
    mapping : SourceMapping
        The mapping used.
    extra_columns : dict
        Per table, source columns that are not in the contract (not loaded).
    derived : dict
        Per table, columns computed by the loader (e.g. ``orders.amount`` from order_items).
    date_formats_used : dict
        Per ``"table.column"`` of text timestamps, how many values each declared format parsed;
        more than one format with a count means the column mixed formats.
    date_format_codes : dict
        Per ``"table.column"`` of text timestamps, a row-aligned ``int8`` Series: the position
        in the declared formats of the one that parsed the value (-1 where missing).
    empty_tables : list of str
        Optional tables whose file or query had columns but no rows: treated as not supplied.
    dialects : dict
        Per table read from a CSV file, how the file is written (:class:`~crm_analysis.io.
        dialect.Dialect`: separator, decimal and thousands marks, encoding, missing markers, and
        which of them were read from the file rather than the mapping).
    recognised : dict
        Per table, contract column -> source column found under a common name without a
        mapping entry (:mod:`crm_analysis.io.columns`), e.g. ``{"customer_id": "CustomerID"}``.
    """

    frames: dict[str, pd.DataFrame]
    source: str
    mapping: SourceMapping = field(default_factory=SourceMapping)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    derived: dict[str, list[str]] = field(default_factory=dict)
    date_formats_used: dict[str, dict[str, int]] = field(default_factory=dict)
    date_format_codes: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    empty_tables: list[str] = field(default_factory=list)
    dialects: dict[str, Dialect] = field(default_factory=dict)
    recognised: dict[str, dict[str, str]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            raise KeyError(f"{name!r} is not in this data (present: {', '.join(self.tables)})")
        return self.frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)

    def has(self, name: str) -> bool:
        """True if the table is present (an optional table may be absent)."""
        return name in self.frames

    @property
    def tables(self) -> list[str]:
        """Present tables, in contract order."""
        return [name for name in TABLES if name in self.frames]

    @property
    def currency(self) -> str | None:
        """Currency of amounts as the mapping records it (not converted)."""
        return self.mapping.currency

    @property
    def name(self) -> str:
        """A short name of the data set for people: the mapping's ``source_name``, else the
        data root's folder name (``my_data`` for ``my_data/raw``), the file's name, or the
        database URL (password masked) as :attr:`source` gives it."""
        if self.mapping.source_name or is_sql_source(self.source):
            return self.source
        path = Path(self.source.split(" (", 1)[0])
        return path.parent.name if path.name == "raw" and path.parent.name else path.name

    def __repr__(self) -> str:
        sizes = ", ".join(f"{n}: {len(self.frames[n])} rows" for n in self.tables)
        return f"RawData(source={self.source!r}, {sizes})"


def _closest(wanted: str, options: Iterable[str]) -> str | None:
    options = list(options)
    lowered = {o.lower().replace(" ", "_"): o for o in options}
    key = wanted.lower().replace(" ", "_")
    if key in lowered:
        return lowered[key]
    match = get_close_matches(key, list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _map_and_parse(
    raw: RawTable,
    table: str,
    columns: dict[str, str],
    required: Iterable[str],
    rename: dict[str, str],
    mapping: SourceMapping,
    date_formats: tuple[str, ...],
    format_codes: dict[str, pd.Series],
    recognised: dict[str, str] | None = None,
    *,
    infer_dates: bool = False,
    column_formats: dict[str, tuple[str, ...]] | None = None,
) -> tuple[pd.DataFrame, list[str], dict[str, pd.Series]]:
    """Rename (the mapping's names, else the common names of :mod:`crm_analysis.io.columns`,
    recorded in ``recognised``), check presence, parse.

    Returns the parsed frame, the extra source columns and per column the unparseable mask.

    ``columns`` maps contract column -> contract dtype; ``rename`` contract -> source name.
    ``format_codes`` receives, per ``table.column`` of text timestamps, the per-row format, and
    ``column_formats`` the formats tried. With ``infer_dates`` (the mapping names no date
    formats) day-first or month-first formats are read from the values
    (:mod:`crm_analysis.io.dates`).
    """
    column_formats = {} if column_formats is None else column_formats
    loc = raw.locator
    frame = raw.frame.reset_index(drop=True)
    source_cols = [str(c) for c in frame.columns]
    wanted = {col: rename.get(col, col) for col in columns}
    taken = {src for src in wanted.values() if src in source_cols}
    for col in columns:  # common names of columns the mapping does not name
        if col in rename or wanted[col] in source_cols:
            continue
        found = [c for c in candidates(table, col, source_cols) if c not in taken]
        if len(found) == 1:
            wanted[col] = found[0]
            taken.add(found[0])
            if recognised is not None:
                recognised[col] = found[0]
        elif len(found) > 1 and col in required:
            loc.add(col, f"required column {col!r} could be any of {', '.join(map(repr, found))}; "
                    f"name it in the mapping, e.g. `columns: {{{col}: {found[0]}}}`")
            wanted[col] = found[0]  # reported above; keeps the missing-column error away
    used = {src for src in wanted.values() if src in source_cols}
    spare = [c for c in source_cols if c not in used]
    for col in columns:
        src = wanted[col]
        if src in source_cols:
            continue
        if col in required or col in rename:
            what = "required column" if col in required else "column named in the mapping"
            looked = f" (looked for source column {src!r})" if src != col else ""
            guess = _closest(src, spare)
            hint = (
                f"; did you mean {guess!r}? If so, map it with `columns: {{{col}: {guess}}}`"
                if guess
                else ""
            )
            loc.add(
                col,
                f"{what} {col!r} is missing{looked}{hint}. Columns found: {', '.join(source_cols)}",
            )
        elif (table, col) == ("orders", "amount") and (
                guess := next(iter(get_close_matches(col, spare, n=1, cutoff=0.8)), None)):
            # orders without amounts are a valid log of visits: a misspelt amount must not
            # quietly make one
            loc.add(col, f"column 'amount' is missing; did you mean {guess!r}? If so, map it "
                    f"with `columns: {{amount: {guess}}}`, or rename the column to drop the "
                    f"amounts. Columns found: {', '.join(source_cols)}")
    out: dict[str, pd.Series] = {}
    unparsed: dict[str, pd.Series] = {}
    for col, dtype in columns.items():
        src = wanted[col]
        if src not in source_cols:
            continue
        values = frame[src]
        if isinstance(values, pd.DataFrame):  # duplicated header
            loc.add(col, f"source column {src!r} appears more than once in the header")
            continue
        codes: dict[str, pd.Series] = {}
        formats = date_formats
        if dtype == "timestamp" and raw.text and infer_dates:
            found = infer_date_formats(_date_sample(values))
            if isinstance(found, AmbiguousDates):
                loc.add(col, found.message(f"{table}.{col}"))
                continue
            if found:  # the spelling most values use comes first (the others count as dirt)
                iso = int(values.astype("string").str.match(r"\s*\d{4}-").sum())
                formats = (*date_formats, *found) if iso * 2 >= len(values.dropna()) else (
                    *found, *date_formats)
        column_formats[f"{table}.{col}"] = formats
        parsed, bad = parse_column(
            values,
            dtype,
            date_formats=formats,
            decimal=raw.dialect.decimal if raw.dialect else ".",
            thousands=raw.dialect.thousands if raw.dialect else None,
            format_codes=codes,
        )
        if codes:
            format_codes[f"{table}.{col}"] = codes["codes"]
        if bad.any():
            message = _bad_message(dtype, formats, raw.dialect)
            if dtype == "timestamp" and _zero_dates(values[bad]):
                message += (f"; '0000-00-00' is MySQL's zero date (no date): make it NULL in "
                            f"a `query:`, e.g. `nullif({src}, '0000-00-00') as {col}`")
            loc.add(col, message, bad, values)
        out[col] = parsed
        unparsed[col] = bad
    extra = [c for c in spare if c not in set(wanted.values())]
    return pd.DataFrame(out, index=frame.index), extra, unparsed


READ_AS_ORDERS = "the folder's only data file, read as the orders table"
"""How the inferred mapping of a folder with one data file not named after a table ends."""


def _single_file_mapping(source: Path) -> SourceMapping | None:
    """The mapping for an export that is one data file, else None.

    The file is ``source`` itself, or a folder's only data file when the folder has no
    ``orders`` file. A header that looks like invoice lines
    (:func:`crm_analysis.io.columns.looks_like_invoice_lines`) is read with the invoice-line
    transform; any other lone file in a folder is the orders table (a transaction or visit log
    named as its system named it).
    """
    if source.is_file():
        file = source
    elif source.is_dir() and find_file(source, "orders", TableMapping()) is None:
        files = [p for p in sorted(source.iterdir())
                 if p.is_file() and p.name.endswith(SUFFIXES)]
        if len(files) != 1:
            return None
        file = files[0]
    else:
        return None
    named = file.name.split(".", 1)[0]
    as_orders = None if file is source or named in TABLES else SourceMapping(
        name=f"{file.name}, {READ_AS_ORDERS}",
        tables={"orders": TableMapping(file=(file.name,))})
    try:
        if file.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            header = pq.read_schema(file).names
        elif file.name.endswith(".xlsx"):
            header = list(pd.read_excel(file, nrows=0, engine="openpyxl").columns)
        else:
            dialect = detect_dialect(file)
            header = list(pd.read_csv(file, nrows=0, sep=dialect.separator,
                                      encoding=dialect.encoding, compression="infer").columns)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return as_orders
    if not looks_like_invoice_lines(map(str, header)):
        return as_orders
    return SourceMapping(name=f"invoice lines recognised in {file.name}",
                         source_name=f"{file.name} (invoice lines)",
                         transform="retail_invoice_lines",
                         tables={"invoice_lines": TableMapping(file=(file.name,))})


def _date_sample(values: pd.Series, size: int = 200_000) -> pd.Series:
    """The values date formats are read from: all, or a fixed random sample of a long column."""
    present = values.dropna()
    return present if len(present) <= size else present.sample(size, random_state=0)


def _zero_dates(bad: pd.Series) -> bool:
    """True if some of the unreadable date values are MySQL zero dates (``0000-00-00 ...``)."""
    return bool(bad.astype("string").str.strip().str.startswith("0000-00-00").any())


def _bad_message(dtype: str, formats: tuple[str, ...], dialect: Dialect | None) -> str:
    if dtype == "timestamp":
        return (
            f"values cannot be read as dates with the formats {list(formats)} (or lie outside "
            "1677..2262); add the format to `date_formats:` in the mapping"
        )
    if dtype in ("number", "integer"):
        kind = "whole numbers" if dtype == "integer" else "numbers"
        seps = (f" with decimal {dialect.decimal!r} and thousands {dialect.thousands!r}"
                if dialect is not None else "")
        return (
            f"values cannot be read as {kind}{seps}; check `decimal:`/`thousands:` in the mapping"
        )
    return "values cannot be read as true/false (accepted: true/false, 1/0, yes/no, y/n, t/f)"


def _check_structure(
    frame: pd.DataFrame, table: str, loc: RowLocator, unparsed: dict[str, pd.Series]
) -> None:
    spec = TABLES[table]
    for col, cspec in spec.columns.items():
        if col in frame and not cspec.nullable:
            empty = frame[col].isna() & ~unparsed.get(col, False)
            if empty.any():
                loc.add(col, "empty values in a column that must always be filled", empty)
    if spec.key is not None and spec.key in frame:
        conflicts = key_conflicts(frame, spec.key)
        if conflicts.any():
            keys = frame.loc[conflicts, spec.key].drop_duplicates().head(5).tolist()
            loc.add(
                spec.key,
                f"duplicate keys with different values in other columns (keys {keys}); "
                "exact duplicate rows would be fine",
                conflicts,
                frame[spec.key],
            )


def _derive_amount(orders: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    discount = items["discount"].fillna(0.0) if "discount" in items else 0.0
    totals = order_totals(items["order_id"], line_value(items["quantity"], items["unit_price"],
                                                        discount))
    amount = orders["order_id"].map(totals).astype("float64")
    cols = list(orders.columns)
    position = cols.index("order_date") + 1 if "order_date" in cols else len(cols)
    orders = orders.copy()
    orders.insert(position, "amount", amount)
    return orders


def _contract_order(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    return frame[[c for c in TABLES[table].columns if c in frame.columns]]


def _read_all(source: Any, mapping: SourceMapping, names: list[str]
              ) -> tuple[dict[str, RawTable], str, list[str]]:
    """Read every named table that exists; a missing or empty required table is an error, an
    empty optional one is left out (its name returned as the third item)."""
    required = {"orders", "invoice_lines"}
    found: dict[str, RawTable] = {}
    empty: list[str] = []
    problems: list[Problem] = []
    if is_sql_source(source):
        reader = SqlReader(resolve_url(str(source)))
        try:
            for name in names:
                spec = mapping.table(name)
                if not reader.exists(name, spec):
                    if name in required or mapping.tables.get(name) is not None:
                        problems.append(reader.missing_problem(name, spec))
                    continue
                try:
                    found[name] = reader.read(name, spec)
                except EmptyTableError as exc:
                    if name in required:
                        problems.extend(exc.problems)
                    else:
                        empty.append(name)
                except DataContractError as exc:
                    problems.extend(exc.problems)
        finally:
            reader.close()
        label = reader.label
    else:
        path = Path(source)
        if path.is_file():  # a single file: the orders (or invoice-line) export
            folder, single = path.parent, {names[0]: path}
        elif path.is_dir():
            folder, single = path, {}
        else:
            raise DataContractError([Problem(str(path), names[0], None, "no such folder or file")])
        for name in names:
            spec = mapping.table(name)
            try:
                if spec.query and not single:
                    found[name] = read_folder_query(folder, name, spec.query)
                    continue
                file = single.get(name) or (None if single else find_file(folder, name, spec))
                if file is None:
                    if name in required or spec.file:
                        problems.append(missing_file_problem(folder, name, spec))
                    continue
                found[name] = read_file(file, name, mapping)
            except EmptyTableError as exc:
                if name in required:
                    problems.extend(exc.problems)
                else:
                    empty.append(name)
            except DataContractError as exc:
                problems.extend(exc.problems)
        label = str(path)
    if problems:
        raise DataContractError(problems)
    return found, label, empty


def load_raw(
    source: str | os.PathLike[str],
    mapping: MappingLike = None,
    *,
    tables: Iterable[str] | None = None,
) -> RawData:
    """Load raw CRM data from a folder of exports or a SQL database onto the data contract.

    Parameters
    ----------
    source : str or path
        A folder with ``<table>.csv``, ``<table>.csv.gz`` or ``<table>.parquet`` files (or the
        files the mapping names); a single file (read as ``orders``, or as the invoice lines of
        a transform mapping); a SQLAlchemy URL (``postgresql+psycopg://user@host/db``,
        ``sqlite:///path.db``, ``mysql+pymysql://...``, ``mssql+pyodbc://...``) written without
        a password (it comes from ``$CRM_DB_PASSWORD``, or for PostgreSQL ``$PGPASSWORD``); or
        ``"env:CRM_DB_URL"`` to read the whole URL from that environment variable.
    mapping : None, str, path, dict or SourceMapping
        How source names map onto the contract: a shipped mapping name (``"synthetic"``,
        ``"retail_invoice_lines"``), a YAML path, or a dict (see ``docs/data_contract.md``).
        ``None``: the folder's own ``mapping.yaml`` if it has one, else the contract's names;
        a folder whose only data file (or a single file) is an invoice-line export (invoice,
        product code, quantity, unit price, date, and no order amount) is read with the
        ``retail_invoice_lines`` transform, its columns recognised by their names.
    tables : iterable of str, optional
        Load only these contract tables (``orders`` is always loaded).

    Returns
    -------
    RawData
        Contract tables with contract column names and dtypes; raw values otherwise unchanged
        (duplicates, guest orders, negative quantities, future dates all load as they are).

    Raises
    ------
    DataContractError
        Every problem found, each naming the source, table, column and up to five example rows.
    """
    if mapping is None and not is_sql_source(source) and (Path(source) / FOLDER_MAPPING).is_file():
        mapping = Path(source) / FOLDER_MAPPING
    given = mapping is not None
    mapping = load_mapping(mapping)
    if not given and not is_sql_source(source):
        mapping = _single_file_mapping(Path(source)) or mapping
    wanted = None if tables is None else {"orders", *tables}
    if wanted is not None and (unknown := sorted(wanted - set(TABLES))):
        raise ValueError(f"unknown tables {unknown}; contract tables: {', '.join(TABLES)}")
    if mapping.transform is not None:
        names = mapping.input_tables()
    else:
        names = [n for n in TABLES if wanted is None or n in wanted]
    found, label, empty = _read_all(source, mapping, names)

    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    extra: dict[str, list[str]] = {}
    format_codes: dict[str, pd.Series] = {}
    column_formats: dict[str, tuple[str, ...]] = {}
    recognised: dict[str, dict[str, str]] = {}
    for name, raw in found.items():
        spec = mapping.table(name)
        formats = spec.date_formats or mapping.date_formats
        if mapping.transform is not None:
            columns = TRANSFORM_INPUTS[mapping.transform]
            required: Iterable[str] = TRANSFORM_REQUIRED[mapping.transform]
        else:
            columns = {c: s.dtype for c, s in TABLES[name].columns.items()}
            required = TABLES[name].required_columns
        recognised[name] = {}
        frame, extra[name], unparsed = _map_and_parse(
            raw, name, columns, required, spec.columns, mapping, formats, format_codes,
            recognised[name],
            infer_dates=spec.date_formats is None
            and mapping.date_formats == DEFAULT_DATE_FORMATS,
            column_formats=column_formats,
        )
        if name in TABLES:
            _check_structure(frame, name, raw.locator, unparsed)
        problems.extend(raw.locator.problems)
        frames[name] = frame
    if problems:
        raise DataContractError(problems)

    derived: dict[str, list[str]] = {}
    if mapping.transform is not None:
        frames = retail_tables(frames["invoice_lines"])
        derived = {
            "orders": ["amount", "status"],
            "products": ["product_id", "product_name"],
            "customers": ["customer_id", "country"],
        }
        if wanted is not None:
            frames = {k: v for k, v in frames.items() if k in wanted}
    if "amount" not in frames["orders"] and "order_items" in frames:
        frames["orders"] = _derive_amount(frames["orders"], frames["order_items"])
        derived.setdefault("orders", []).append("amount")
    if "amount" in frames["orders"] and frames["orders"]["amount"].isna().all():
        # an amount column without a single value is a log without amounts, not a table of
        # orders that are all missing their amount (which cleaning would remove, every one)
        frames["orders"] = frames["orders"].drop(columns="amount")
    frames = {n: _contract_order(frames[n], n) for n in TABLES if n in frames}
    _final_check(frames, label)
    source_label = mapping.source_name or label
    formats_used = {}
    for key, codes in format_codes.items():
        formats = column_formats[key]
        counts = codes[codes >= 0].value_counts()
        formats_used[key] = {formats[int(i)]: int(n) for i, n in counts.sort_index().items()}
    release_memory()
    dialects = {name: raw.dialect for name, raw in found.items() if raw.dialect is not None}
    return RawData(frames, source_label, mapping, extra, derived, formats_used, format_codes,
                   empty, dialects, {k: v for k, v in recognised.items() if v})


def _final_check(frames: dict[str, pd.DataFrame], label: str) -> None:
    """Assert the pandera schemas (a safety net: the parsing above should already ensure them)."""
    problems = []
    for name, frame in frames.items():
        try:
            SCHEMAS[name].validate(frame, lazy=True)
        except SchemaErrors as exc:
            for _, case in exc.failure_cases.head(5).iterrows():
                problems.append(
                    Problem(
                        label,
                        name,
                        str(case.get("column")),
                        f"fails the schema check {case.get('check')}",
                    )
                )
    if problems:
        raise DataContractError(problems)
