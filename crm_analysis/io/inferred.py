"""The mapping a load actually used, written out as YAML for the user to keep and edit.

``crm-analysis validate DIR --write-mapping FILE`` writes it: the settings of the mapping given
(if any), the CSV dialect read from the orders file (separator, decimal and thousands marks,
encoding) and, per table, the columns recognised under common names. Loading with the written
mapping gives the same tables as the load that wrote it.
"""

from __future__ import annotations

import yaml

from crm_analysis.io.load import RawData

__all__ = ["mapping_yaml"]


def mapping_yaml(raw: RawData) -> str:
    """YAML text of the mapping ``raw`` was loaded with, detected settings filled in."""
    mapping = raw.mapping
    data: dict = {"source_name": raw.source}
    dialect = raw.dialects.get("orders") or next(iter(raw.dialects.values()), None)
    if dialect is not None:
        data.update(separator=dialect.separator, decimal=dialect.decimal,
                    encoding=dialect.encoding)
        if dialect.thousands:
            data["thousands"] = dialect.thousands
    if mapping.currency:
        data["currency"] = mapping.currency
    data["date_formats"] = list(mapping.date_formats)
    if mapping.transform:
        data["transform"] = mapping.transform
    tables: dict = {}
    for name in sorted({*mapping.tables, *raw.recognised}):
        spec = mapping.table(name)
        entry: dict = {}
        if spec.file:
            entry["file"] = list(spec.file) if len(spec.file) > 1 else spec.file[0]
        for key in ("table", "query", "schema"):
            if getattr(spec, key):
                entry[key] = getattr(spec, key)
        columns = {**spec.columns, **raw.recognised.get(name, {})}
        if columns:
            entry["columns"] = columns
        if spec.date_formats:
            entry["date_formats"] = list(spec.date_formats)
        if spec.sheet:
            entry["sheet"] = spec.sheet
        tables[name] = entry
    if tables:
        data["tables"] = tables
    header = ("# Written by `crm-analysis validate --write-mapping`: how this export was read.\n"
              "# Edit what is wrong, then use it with --mapping (docs/data_contract.md).\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
