"""The data-quality log: one entry per cleaning rule and table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import pandas as pd

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class QualityEntry:
    """What one rule did to one table.

    Attributes
    ----------
    rule, table : str
        The rule's name and the table it acted on.
    rows_in, rows_out : int
        Row counts before and after the rule.
    rows_changed : int
        Rows whose values the rule changed (rows it removed are ``rows_in - rows_out``).
    examples : tuple of str
        Up to five keys (e.g. order ids) of affected rows.
    note : str
        What the rule did, in words.
    """

    rule: str
    table: str
    rows_in: int
    rows_out: int
    rows_changed: int = 0
    examples: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def rows_removed(self) -> int:
        return self.rows_in - self.rows_out


def examples_of(keys: Iterable[object]) -> tuple[str, ...]:
    """The first few distinct keys as text, for a log entry."""
    out: list[str] = []
    for key in keys:
        text = "<missing>" if pd.isna(key) else str(key)
        if text not in out:
            out.append(text)
        if len(out) == MAX_EXAMPLES:
            break
    return tuple(out)


def log_frame(entries: Iterable[QualityEntry]) -> pd.DataFrame:
    """The log as a table: rule, table, rows_in, rows_out, rows_removed, rows_changed, ..."""
    rows = [{**asdict(e), "rows_removed": e.rows_removed, "examples": ", ".join(e.examples)}
            for e in entries]
    columns = ["rule", "table", "rows_in", "rows_out", "rows_removed", "rows_changed",
               "examples", "note"]
    return pd.DataFrame(rows, columns=columns).astype(
        {"rows_in": "int64", "rows_out": "int64", "rows_removed": "int64", "rows_changed": "int64"}
    )
