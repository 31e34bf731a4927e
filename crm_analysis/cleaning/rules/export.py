"""Rules for export errors in any table: stray whitespace and float spellings of ids, rows
exported twice, dates in another format, keys repeated with other values.

Each rule takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state
and its log entries; the state it is given is left unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import key_column, marked_entry
from crm_analysis.cleaning.state import WorkingState
from crm_analysis.keys import duplicated_rows
from crm_analysis.schema import TABLES


def _id_columns(table: str, frame: pd.DataFrame) -> list[str]:
    """The contract id columns of ``table`` present in ``frame``."""
    spec = TABLES.get(table)
    if spec is None:
        return []
    return [c for c, s in spec.columns.items() if s.dtype == "id" and c in frame]


def trim_ids(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Strip surrounding whitespace from ids; an id that is only whitespace becomes missing."""
    out, log = dict(state.tables), []
    for name, frame in state.tables.items():
        cols = _id_columns(name, frame)
        if not cols:
            continue
        changed = np.zeros(len(frame), dtype=bool)
        fixed = {}
        for col in cols:
            stripped = frame[col].str.strip()
            stripped = stripped.mask(stripped.eq(""))
            diff = (stripped.ne(frame[col]) | (stripped.isna() != frame[col].isna())).fillna(False)
            diff = diff.to_numpy(dtype=bool)
            if diff.any():  # only columns with something to fix are replaced
                fixed[col] = stripped
                changed |= diff
        live = state.live_rows(name)
        out[name] = new = frame.assign(**fixed) if fixed else frame
        log.append(marked_entry("trim_ids", name, frame, int(live.sum()),
                                changed=changed & live, after=new,
                                note="whitespace around ids removed"))
    return state.with_tables(out), log


_NUMERIC_ID = r"^\d+(?:\.0+)?$"
_FLOAT_ID = r"^(\d+)\.0+$"


def float_ids(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Ids written as floats (``17850.0``) become whole numbers (``17850``) in every table.

    Only an id kind (customer ids, product ids, ...) whose values are all numbers, in every table
    that has it, is rewritten: then ``17850.0`` and ``17850`` are the same customer.
    """
    tables = state.tables
    out, log = dict(tables), []
    kinds = {c for name, frame in tables.items() for c in _id_columns(name, frame)}
    for kind in sorted(kinds):
        columns = [(name, frame[kind]) for name, frame in tables.items()
                   if kind in _id_columns(name, frame)]
        values = [col.dropna() for _, col in columns]
        if not all(v.str.fullmatch(_NUMERIC_ID).all() for v in values) or not any(
                v.str.fullmatch(_FLOAT_ID).any() for v in values):
            continue
        for name, col in columns:
            fixed = col.str.replace(_FLOAT_ID, r"\1", regex=True)
            changed = fixed.ne(col).fillna(False).to_numpy(dtype=bool)
            if changed.any():
                frame = out[name]
                out[name] = new = frame.assign(**{kind: fixed})
                live = state.live_rows(name)
                log.append(marked_entry("float_ids", name, frame, int(live.sum()),
                                        changed=changed & live, after=new,
                                        note=f"{kind} written as a float: 17850.0 is 17850"))
    return state.with_tables(out), log


def _date_only(values: pd.Series) -> bool:
    """Whether every timestamp is at midnight (the export has dates without times of day)."""
    stamps = pd.to_datetime(values).dropna()
    return bool(len(stamps)) and bool((stamps == stamps.dt.normalize()).all())


def exact_duplicates(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove rows that repeat an earlier row in every column.

    One exception: orders without order ids whose dates carry no time of day. Two identical rows
    there may well be two purchases of the same amount on one day, so they are kept (and counted
    in the log); with an order id or a time of day, a repeated row is an export error.
    """
    tables, log = state.tables, []
    for name, frame in tables.items():
        live = state.live_rows(name)
        if live.all():
            dup = duplicated_rows(frame)
        else:
            dup = np.zeros(len(frame), dtype=bool)
            dup[np.flatnonzero(live)] = duplicated_rows(frame[live])
        if (name == "orders" and "order_id" not in frame and dup.any()
                and _date_only(frame["order_date"])):
            log.append(marked_entry(
                "exact_duplicates", name, frame, int(live.sum()), keys=frame["customer_id"]
                .iloc[np.flatnonzero(dup)[:20]],
                note=f"{int(dup.sum()):,} identical rows kept: without order ids or times of day "
                     "they may be separate purchases on one day"))
            continue
        state, removed = state.remove_rows(name, dup)
        log.append(marked_entry("exact_duplicates", name, frame, int(live.sum()),
                                removed=removed,
                                note="rows exported twice, second copy removed"))
    return state, log


def date_formats(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Count timestamps that were written in another format than the export's own."""
    log = []
    for key, codes in state.date_format_codes.items():
        table, column = key.split(".", 1)
        if table not in state.tables:
            continue
        frame = state.tables[table]
        live = state.live_rows(table)
        other = codes.reindex(frame.index).fillna(-1).gt(0).to_numpy(dtype=bool) & live
        if other.any():
            log.append(marked_entry("date_formats", table, frame, int(live.sum()), changed=other,
                                    note=f"{column}: values in another date format, "
                                         "read as dates"))
    return state, log


def key_duplicates(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Keep the first row of each key; later rows with the same key are removed."""
    tables, log = state.tables, []
    for name, frame in tables.items():
        key = key_column(name) or ("order_id" if name == "orders" else None)
        if key is None or key not in frame:
            continue
        live = state.live_rows(name)
        keys = frame[[key]] if live.all() else frame.loc[live, [key]]  # one column copied
        dup = np.zeros(len(frame), dtype=bool)
        dup[np.flatnonzero(live)] = (keys[key].notna()
                                     & keys.duplicated(keep="first")).to_numpy(dtype=bool)
        state, removed = state.remove_rows(name, dup)
        log.append(marked_entry("key_duplicates", name, frame, int(live.sum()),
                                removed=removed,
                                note=f"rows repeating an earlier {key} with other values "
                                     "removed"))
    return state, log
