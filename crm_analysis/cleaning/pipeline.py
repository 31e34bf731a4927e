"""``clean``: the cleaning rules applied in order to one working state, with the data-quality
log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from crm_analysis.cleaning.log import QualityEntry, log_frame
from crm_analysis.cleaning.options import CleaningOptions
from crm_analysis.cleaning.rules import RULES
from crm_analysis.cleaning.snapshot import infer_snapshot_date
from crm_analysis.cleaning.state import Tables, WorkingState
from crm_analysis.memory import release_memory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleaningResult:
    """Cleaned tables, the rows flagged for a human, and what every rule did.

    Attributes
    ----------
    tables : dict
        Cleaned contract tables (same names as the input).
    flagged : dict
        Rows taken out for review rather than dropped: ``unmatched_returns`` (returns and
        cancellations whose original order is not in the data) and ``unmatched_return_items``.
    entries : list of QualityEntry
        One entry per rule and table, in the order applied.
    as_of : pandas.Timestamp
        The day the data is analysed as of (inferred when not given).
    """

    tables: dict[str, pd.DataFrame]
    flagged: dict[str, pd.DataFrame]
    entries: list[QualityEntry]
    as_of: pd.Timestamp

    @property
    def log(self) -> pd.DataFrame:
        """The data-quality log as a table (one row per rule and table)."""
        return log_frame(self.entries)


def _orders_with_lines(items: pd.DataFrame | None) -> pd.Series | None:
    """Order ids that have lines in the raw export (a return's lines count for its original)."""
    if items is None:
        return None
    ids = items["order_id"].str.strip().drop_duplicates()
    # only the few C-prefixed ids add an id (without the prefix): not a second copy of them all
    prefixed = (ids.str.startswith("C") | ids.str.startswith("c")).fillna(False).astype(bool)
    return pd.concat([ids, ids[prefixed].str.slice(1)], ignore_index=True)


def clean(
    raw: Mapping[str, pd.DataFrame],
    *,
    as_of: str | pd.Timestamp | None = None,
    options: CleaningOptions | None = None,
) -> CleaningResult:
    """Clean raw contract tables rule by rule (see :mod:`crm_analysis.cleaning.rules`).

    Parameters
    ----------
    raw : mapping of table name -> DataFrame
        Loaded raw tables, e.g. a :class:`crm_analysis.io.RawData` (then the loader's record of
        date formats feeds the ``date_formats`` rule). Not modified.
    as_of : str or Timestamp, optional
        Analyse as of this day: everything after it is removed. Default: the last day of the
        data, ignoring stray future-dated orders (:func:`infer_snapshot_date`).
    options : CleaningOptions, optional
        Non-product codes, the plausible age range, the spelling similarity cutoff.

    Returns
    -------
    CleaningResult
    """
    tables: Tables = {name: raw[name] for name in raw}
    if "orders" not in tables:
        raise ValueError("cleaning needs an orders table")
    snapshot = (
        pd.Timestamp(as_of).normalize()
        if as_of is not None
        else infer_snapshot_date(tables["orders"]["order_date"])
    )
    state = WorkingState(
        tables=tables,
        as_of=snapshot,
        options=options or CleaningOptions(),
        date_format_codes=dict(getattr(raw, "date_format_codes", {})),
        orders_with_lines=_orders_with_lines(tables.get("order_items")),
    )
    del tables  # the state holds the working tables from here on
    entries: list[QualityEntry] = []
    for rule in RULES:
        state, rule_entries = rule(state)
        release_memory()  # the previous state's text buffers, before the next rule
        entries.extend(rule_entries)
        for e in rule_entries:
            if e.rows_removed or e.rows_changed:
                log.info("%-18s %-18s removed %7d  changed %7d", e.rule, e.table,
                         e.rows_removed, e.rows_changed)
    state = state.compact()
    cleaned = {name: frame.reset_index(drop=True) for name, frame in state.tables.items()}
    flagged = {name: frame.reset_index(drop=True) for name, frame in state.flagged.items()}
    del state
    release_memory()
    return CleaningResult(cleaned, flagged, entries, snapshot)
