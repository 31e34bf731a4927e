"""The working state the cleaning rules pass along, and its row bookkeeping.

A :class:`WorkingState` holds the working tables, the rows rules removed but that are still in
those tables, the rows flagged for a human, and the fixed inputs every rule may read (the
snapshot day, the options, the loader's record of date formats). It is frozen, and its
mappings are read-only: a rule never changes the state it is given, it returns a new one
(:meth:`~WorkingState.remove_rows`, :meth:`~WorkingState.with_tables`, ...). The new state
shares every frame and mask it did not change with the old one, so a new state costs no copy
of the data.

Removing rows is lazy: a rule that only removes rows marks them (one read-only row mask per
table, aligned with the working frame) instead of copying the table, and the rows are taken
out once, by :meth:`~WorkingState.compact` (``net_returns`` builds its compacted orders and
order lines directly and hands them over with :meth:`~WorkingState.with_compacted`). At a
million customers every rule copying the orders and their ~20M lines would hold two copies
besides the raw tables; this way the raw frames stay the working frames until one compacted
copy replaces them. A rule therefore looks only at the rows not yet removed
(:meth:`~WorkingState.live_rows`), or compacts the state first when it wants plain frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from crm_analysis.cleaning.options import CleaningOptions

Tables = dict[str, pd.DataFrame]
"""Contract tables by name."""


def without_rows(frame: pd.DataFrame, drop: pd.Series | np.ndarray) -> pd.DataFrame:
    """``frame`` minus the rows where ``drop`` (boolean, one per row) is true; the frame itself
    (no copy of millions of rows) when nothing is dropped."""
    drop = np.asarray(drop, dtype=bool)
    return frame[~drop] if drop.any() else frame


def _read_only(mask: np.ndarray) -> np.ndarray:
    """A read-only boolean view of ``mask`` (no copy)."""
    view = np.asarray(mask, dtype=bool).view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class WorkingState:
    """What the cleaning rules work on and hand on: tables, removed and flagged rows, inputs.

    Attributes
    ----------
    tables : mapping of table name -> DataFrame
        The working tables. Rows marked in ``removed`` are still in them.
    as_of : pandas.Timestamp
        The day the data is analysed as of (midnight).
    options : CleaningOptions
        The rules' settings.
    date_format_codes : mapping of ``"table.column"`` -> Series
        The loader's record of which date format each value was read with (0: the export's
        own; index aligned with the raw table).
    orders_with_lines : Series or None
        Order ids that have lines in the raw export (None without an order lines table).
    flagged : mapping of name -> DataFrame
        Rows taken out for a human rather than dropped (``unmatched_returns``, ...).
    removed : mapping of table name -> numpy bool array
        Per table, the rows of the working frame that rules removed but that are still in it
        (read-only, one entry per row); no entry means none.

    Every mapping is read-only; the methods return new states and leave this one unchanged.
    """

    tables: Mapping[str, pd.DataFrame]
    as_of: pd.Timestamp
    options: CleaningOptions = field(default_factory=CleaningOptions)
    date_format_codes: Mapping[str, pd.Series] = field(default_factory=dict)
    orders_with_lines: pd.Series | None = None
    flagged: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    removed: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # read-only views of private copies of the (small) mappings: no caller can change them
        for name in ("tables", "date_format_codes", "flagged"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "removed", MappingProxyType(
            {name: _read_only(mask) for name, mask in self.removed.items()}))

    def __repr__(self) -> str:
        tables = ", ".join(
            f"{name}: {len(frame)} rows"
            + (f" ({int(self.removed[name].sum())} removed)" if name in self.removed else "")
            for name, frame in self.tables.items())
        flagged = ", ".join(f"{name}: {len(frame)} rows" for name, frame in self.flagged.items())
        return (f"WorkingState(snapshot {self.as_of.date()}; tables {{{tables}}}; "
                f"flagged {{{flagged}}})")

    @property
    def snapshot_end(self) -> pd.Timestamp:
        """First instant after the snapshot day."""
        return self.as_of.normalize() + pd.Timedelta(days=1)

    def live_rows(self, name: str) -> np.ndarray:
        """Boolean array over the rows of ``tables[name]``: rows no rule has removed yet."""
        removed = self.removed.get(name)
        return np.ones(len(self.tables[name]), dtype=bool) if removed is None else ~removed

    def remove_rows(self, name: str, drop: np.ndarray) -> tuple[WorkingState, np.ndarray]:
        """The state with the rows of ``tables[name]`` where ``drop`` is true marked as removed
        (taken out later by :meth:`compact`), and the rows newly removed (those not removed
        before; a read-only boolean array over the rows). Nothing to remove: this state."""
        drop = np.asarray(drop, dtype=bool)
        before = self.removed.get(name)
        newly = _read_only(drop.copy() if before is None else drop & ~before)
        if not newly.any():
            return self, newly
        marks = newly if before is None else before | newly
        return replace(self, removed={**self.removed, name: marks}), newly

    def compact(self) -> WorkingState:
        """The state with the removed rows taken out of their tables (one copy per table that
        has removed rows; the others are passed through) and no rows marked."""
        if not self.removed:
            return self
        tables = {name: without_rows(frame, self.removed[name]) if name in self.removed
                  else frame for name, frame in self.tables.items()}
        return replace(self, tables=tables, removed={})

    def with_tables(self, frames: Mapping[str, pd.DataFrame]) -> WorkingState:
        """The state with ``frames`` as the working tables of their names. The removal marks
        are kept: while rows of a table are marked, a frame replacing it must keep its rows
        (a frame built without the removed rows goes through :meth:`with_compacted`)."""
        return replace(self, tables={**self.tables, **frames})

    def with_compacted(self, frames: Mapping[str, pd.DataFrame]) -> WorkingState:
        """The state with ``frames``, built without the removed rows of their tables, as those
        tables: their removal marks are dropped."""
        return replace(self, tables={**self.tables, **frames},
                       removed={k: v for k, v in self.removed.items() if k not in frames})

    def with_flagged(self, frames: Mapping[str, pd.DataFrame]) -> WorkingState:
        """The state with ``frames`` added to (or replacing) the flagged tables of their names."""
        return replace(self, flagged={**self.flagged, **frames})
