"""How a rule writes its quality-log entry: counts and example keys from what it did.

Two shapes of rule, two builders: :func:`marked_entry` for a rule that marks removed rows in
the working state (boolean arrays over the rows of the working frame), :func:`frame_entry` for
a rule that returns a new frame (removed rows are the labels missing from it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.cleaning.log import QualityEntry, examples_of
from crm_analysis.schema import TABLES


def key_column(table: str) -> str | None:
    """The contract key column of ``table`` (None for a table outside the contract)."""
    return TABLES[table].key if table in TABLES else None


def marked_entry(rule: str, table: str, frame: pd.DataFrame, rows_in: int, *,
                 removed: np.ndarray | None = None, changed: np.ndarray | None = None,
                 keys: pd.Series | None = None, after: pd.DataFrame | None = None,
                 note: str = "") -> QualityEntry:
    """A log entry for a rule that marks rows of ``frame`` instead of copying it.

    ``removed`` are the rows it removed and ``changed`` the remaining rows it changed (boolean
    arrays over the rows of ``frame``); ``rows_in`` the rows not removed before. Examples are
    as :func:`frame_entry` gives them: keys of removed rows, else of changed rows (in row order,
    their values in ``after``, the frame the rule returns with the same rows, if it changed
    keys), unless ``keys`` names them.
    """
    key_col = key_column(table) or ("order_id" if "order_id" in frame else frame.columns[0])
    n_removed = int(np.count_nonzero(removed)) if removed is not None else 0
    if keys is None:
        if n_removed:
            keys = frame[key_col].iloc[np.flatnonzero(removed)[:20]]
        elif changed is not None and changed.any():
            keys = (frame if after is None else after)[key_col].iloc[
                np.flatnonzero(changed)[:20]]
        else:
            keys = pd.Series([], dtype="string")
    return QualityEntry(rule, table, rows_in, rows_in - n_removed,
                        int(np.count_nonzero(changed)) if changed is not None else 0,
                        examples_of(keys), note)


def _removed_labels(before: pd.Index, after: pd.Index) -> pd.Index:
    """Labels of ``before`` missing from ``after`` (rules keep subsets of non-negative integer
    row labels: a bitmap makes this linear, not a hash of every label)."""
    if (before.dtype.kind in "iu" and after.dtype.kind in "iu" and len(before)
            and before.is_unique and int(before.min()) >= 0
            and int(before.max()) < 4 * len(before)):
        present = np.zeros(int(before.max()) + 1, dtype=bool)
        inside = after.to_numpy()
        present[inside[(inside >= 0) & (inside < len(present))]] = True
        labels = before.to_numpy()
        return before[~present[labels]]
    return before.difference(after)


def frame_entry(rule: str, table: str, before: pd.DataFrame, after: pd.DataFrame, *,
                changed: pd.Series | None = None, keys: pd.Series | None = None,
                note: str = "") -> QualityEntry:
    """A log entry for a rule that turned ``before`` into ``after`` (a subset of its rows,
    same labels); examples are the keys of removed rows, else of changed rows (``changed``:
    boolean Series on ``after``'s labels), unless ``keys`` names them."""
    key_col = key_column(table) or ("order_id" if "order_id" in before else before.columns[0])
    removed = (before.index[:0] if len(after) == len(before)  # rules only ever remove rows
               else _removed_labels(before.index, after.index))
    if keys is None:
        if len(removed):
            keys = before.loc[removed[:20], key_col]
        elif changed is not None and changed.any():
            keys = after.loc[changed[changed].index[:20], key_col]
        else:
            keys = pd.Series([], dtype="string")
    return QualityEntry(rule, table, len(before), len(after),
                        int(changed.sum()) if changed is not None else 0,
                        examples_of(keys), note)
