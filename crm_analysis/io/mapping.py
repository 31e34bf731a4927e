"""Mappings: how a source's tables and columns map onto the data contract (see the contract doc).

A mapping is a YAML file, the name of a shipped mapping (``crm_analysis/mappings/<name>.yaml``)
or a dict with the same keys. ``base: <shipped name>`` extends a shipped mapping, e.g.
``{"base": "retail_invoice_lines", "encoding": "latin-1"}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crm_analysis.io.errors import DataContractError, Problem
from crm_analysis.schema import TABLES

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"
"""Folder of the shipped mappings."""

DEFAULT_DATE_FORMATS: tuple[str, ...] = ("ISO8601",)
"""Tried when a mapping names none: ISO 8601 as pandas reads it (date, or date and time)."""

TRANSFORM_INPUTS: dict[str, dict[str, str]] = {
    "retail_invoice_lines": {
        "invoice": "id",
        "stock_code": "id",
        "description": "text",
        "quantity": "number",
        "invoice_date": "timestamp",
        "price": "number",
        "customer_id": "id",
        "country": "text",
    },
}
"""Per transform: the one input table ``invoice_lines`` with its columns and contract dtypes."""

TRANSFORM_REQUIRED: dict[str, tuple[str, ...]] = {
    "retail_invoice_lines": (
        "invoice",
        "stock_code",
        "quantity",
        "invoice_date",
        "price",
        "customer_id",
    ),
}

_TOP_KEYS = {
    "source_name",
    "separator",
    "decimal",
    "thousands",
    "encoding",
    "currency",
    "date_formats",
    "tables",
    "transform",
    "base",
}
_TABLE_KEYS = {"file", "table", "query", "schema", "columns", "date_formats", "sheet"}


@dataclass(frozen=True)
class TableMapping:
    """Where one table comes from and how its columns are named.

    Attributes
    ----------
    file : tuple of str
        File names or glob patterns in the source folder, tried in order (empty: the defaults
        ``<table>.csv``, ``<table>.csv.gz``, ``<table>.parquet``).
    table, query, schema : str or None
        For SQL sources: a table name (in ``schema``) or a query; default: the contract name.
        ``query`` also works on a folder: DuckDB SQL over its files, each addressed by its file
        name (:func:`crm_analysis.io.sources.read_folder_query`).
    columns : dict
        Contract column name -> source column name (columns not named keep their names).
    sheet : str or None
        For ``.xlsx`` files: the sheet to read (default: the first).
    date_formats : tuple of str or None
        Overrides the mapping's ``date_formats`` for this table.
    """

    file: tuple[str, ...] = ()
    table: str | None = None
    query: str | None = None
    schema: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] | None = None
    sheet: str | None = None


@dataclass(frozen=True)
class SourceMapping:
    """A parsed source mapping: how one source's files, tables and columns map onto the data
    contract (not a ``collections.abc.Mapping``); every field has the contract's default."""

    name: str = "default"
    source_name: str | None = None
    separator: str | None = None  # None: read from each CSV file (crm_analysis.io.dialect)
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    currency: str | None = None
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    transform: str | None = None
    tables: dict[str, TableMapping] = field(default_factory=dict)

    def table(self, name: str) -> TableMapping:
        """The mapping of one table (the default mapping if it names none)."""
        return self.tables.get(name, TableMapping())

    def input_tables(self) -> list[str]:
        """The tables read from the source (a transform reads its own input table)."""
        if self.transform is not None:
            return ["invoice_lines"]
        return list(TABLES)


def shipped_mappings() -> list[str]:
    """Names of the mappings shipped in ``crm_analysis/mappings``."""
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DataContractError(
            [Problem(label, "mapping", None, f"not valid YAML: {exc}")]
        ) from exc
    if not isinstance(data, dict):
        raise DataContractError(
            [Problem(label, "mapping", None, "must be a YAML mapping (key: value)")]
        )
    return data


def _raw(mapping: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(mapping, Mapping):
        return dict(mapping), "mapping (dict)"
    text = str(mapping)
    if text in shipped_mappings():
        return _read_yaml(MAPPINGS_DIR / f"{text}.yaml", f"mapping {text!r}"), text
    path = Path(text)
    if path.is_file():
        return _read_yaml(path, str(path)), str(path)
    raise DataContractError(
        [
            Problem(
                text,
                "mapping",
                None,
                f"no mapping file {text!r} and no shipped mapping of that name "
                f"(shipped: {', '.join(shipped_mappings())})",
            )
        ]
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in over.items() if k != "tables"}}
    tables = {k: dict(v or {}) for k, v in (base.get("tables") or {}).items()}
    for name, spec in (over.get("tables") or {}).items():
        spec = dict(spec or {})
        old = tables.get(name, {})
        columns = {**(old.get("columns") or {}), **(spec.get("columns") or {})}
        tables[name] = {**old, **spec, "columns": columns}
    merged["tables"] = tables
    return merged


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def load_mapping(
    mapping: str | os.PathLike[str] | Mapping[str, Any] | SourceMapping | None,
) -> SourceMapping:
    """Read and check a mapping.

    Parameters
    ----------
    mapping : None, str, path, dict or SourceMapping
        None for the defaults; a shipped name (``"synthetic"``, ``"retail_invoice_lines"``); a
        path to a YAML file; or a dict with the YAML's keys.

    Returns
    -------
    SourceMapping

    Raises
    ------
    DataContractError
        Unknown keys, table names or contract columns (with the closest valid name).
    """
    if isinstance(mapping, SourceMapping):
        return mapping
    if mapping is None:
        return SourceMapping()
    data, label = _raw(mapping)
    if data.get("base"):
        base, _ = _raw(str(data["base"]))
        data = _merge(base, data)
    problems = _check(data, label)
    if problems:
        raise DataContractError(problems)
    tables = {
        name: TableMapping(
            file=_as_tuple(spec.get("file")),
            table=spec.get("table"),
            query=spec.get("query"),
            schema=spec.get("schema"),
            columns={str(k): str(v) for k, v in (spec.get("columns") or {}).items()},
            date_formats=_as_tuple(spec["date_formats"]) if spec.get("date_formats") else None,
            sheet=None if spec.get("sheet") is None else str(spec["sheet"]),
        )
        for name, spec in ((n, s or {}) for n, s in (data.get("tables") or {}).items())
    }
    thousands = data.get("thousands")
    return SourceMapping(
        name=label,
        source_name=data.get("source_name"),
        separator=_optional(data.get("separator")),
        decimal=_optional(data.get("decimal")),
        thousands=str(thousands) if thousands not in (None, "") else None,
        encoding=_optional(data.get("encoding")),
        currency=data.get("currency"),
        date_formats=_as_tuple(data.get("date_formats")) or DEFAULT_DATE_FORMATS,
        transform=data.get("transform"),
        tables=tables,
    )


def _optional(value: Any) -> str | None:
    """A dialect setting as given, or None (read it from the file) when left out."""
    return None if value is None else str(value)


def _check(data: dict[str, Any], label: str) -> list[Problem]:
    from difflib import get_close_matches

    def hint(word: str, options: list[str]) -> str:
        close = get_close_matches(word, options, n=1)
        return f"; did you mean {close[0]!r}?" if close else f" (valid: {', '.join(options)})"

    problems = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(
            Problem(label, "mapping", None, f"unknown key {key!r}{hint(key, sorted(_TOP_KEYS))}")
        )
    transform = data.get("transform")
    if transform is not None and transform not in TRANSFORM_INPUTS:
        problems.append(
            Problem(
                label,
                "mapping",
                None,
                f"unknown transform {transform!r}{hint(transform, list(TRANSFORM_INPUTS))}",
            )
        )
        return problems
    known = (
        {"invoice_lines": list(TRANSFORM_INPUTS[transform])}
        if transform
        else {name: list(spec.columns) for name, spec in TABLES.items()}
    )
    if data.get("decimal") is not None and data.get("decimal") == data.get("thousands"):
        problems.append(
            Problem(label, "mapping", None, "decimal and thousands separators must differ")
        )
    for name, spec in (data.get("tables") or {}).items():
        if name not in known:
            problems.append(
                Problem(label, str(name), None, f"unknown table{hint(str(name), list(known))}")
            )
            continue
        spec = spec or {}
        for key in sorted(set(spec) - _TABLE_KEYS):
            problems.append(
                Problem(label, name, None, f"unknown key {key!r}{hint(key, sorted(_TABLE_KEYS))}")
            )
        if spec.get("table") and spec.get("query"):
            problems.append(Problem(label, name, None, "give either table: or query:, not both"))
        for col in spec.get("columns") or {}:
            if col not in known[name]:
                problems.append(
                    Problem(
                        label, name, str(col), f"not a contract column{hint(str(col), known[name])}"
                    )
                )
    return problems
