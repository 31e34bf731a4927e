"""``DataContractError``: one exception for every way a source can break the data contract.

Row numbers in messages are 1-based and say which convention they use:

- files (CSV, Parquet): *spreadsheet rows*, the header is row 1, so the first data row is row 2
  (what a user sees when opening the file in a spreadsheet);
- SQL sources: *result rows*, the first row of the table or query result is row 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

MAX_EXAMPLES = 5
"""Example rows shown per problem."""


@dataclass(frozen=True)
class Problem:
    """One contract violation.

    Attributes
    ----------
    source : str
        File path or SQL table/query (password masked).
    table : str
        Contract table name.
    column : str or None
        Contract column name (None for table-level problems).
    message : str
        What is wrong, and what to do about it where we can tell.
    rows : tuple of int
        Up to ``MAX_EXAMPLES`` example row numbers (see ``row_label``).
    values : tuple
        The raw values found in those rows.
    row_label : str
        How the row numbers count ("spreadsheet row" or "result row").
    """

    source: str
    table: str
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    row_label: str = "row"
    count: int = 0

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        text = f"{self.source}: {where}: {self.message}"
        if self.rows:
            if self.values:
                examples = ", ".join(
                    f"{r}: {v!r}" for r, v in zip(self.rows, self.values, strict=True)
                )
            else:
                examples = ", ".join(str(r) for r in self.rows)
            total = f", {self.count} in all" if self.count > len(self.rows) else ""
            text += f" ({self.row_label}s{total}: {examples})"
        return text


@dataclass
class DataContractError(ValueError):
    """A source does not meet the data contract; ``problems`` lists every finding.

    The message starts with a one-line summary, then one line per problem, each naming the
    source, the table, the column and up to five example rows with their values.
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The full text: a summary line, then one line per problem."""
        n = len(self.problems)
        head = f"the data does not meet the contract ({n} problem{'s' if n != 1 else ''}):"
        return "\n".join([head, *(f"- {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self.message


class EmptyTableError(DataContractError):
    """A table with columns but no rows: an error for orders, "not supplied" for the others."""


@dataclass
class RowLocator:
    """Translates DataFrame positions into the row numbers a user sees in the source."""

    source: str
    table: str
    header_rows: int = 1
    label: str = "spreadsheet row"
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        column: str | None,
        message: str,
        mask: pd.Series | Sequence[bool] | None = None,
        values: pd.Series | None = None,
    ) -> None:
        """Record a problem; ``mask`` marks the offending rows (positions), ``values`` the raw
        values shown for them."""
        rows: tuple[int, ...] = ()
        shown: tuple[object, ...] = ()
        count = 0
        if mask is not None:
            flags = pd.Series(mask).to_numpy(dtype=bool, na_value=False)
            positions = flags.nonzero()[0]
            count = len(positions)
            first = positions[:MAX_EXAMPLES]
            rows = tuple(int(p) + 1 + self.header_rows for p in first)
            if values is not None:
                shown = tuple(_plain(values.iloc[int(p)]) for p in first)
        self.problems.append(
            Problem(self.source, self.table, column, message, rows, shown, self.label, count)
        )


def _plain(value: object) -> object:
    """A value as a user would recognise it in a message (no numpy/pandas wrappers)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        try:
            return value.item()  # type: ignore[union-attr]
        except (ValueError, TypeError):
            return str(value)
    return value
