"""The one check that a table has the columns a function reads, with an error a user can act on.

A frame without the column a function expects used to stop with a bare ``KeyError:
'order_date'``. Every public entry point that takes a table checks it first with
:func:`require_columns`: the error names the missing columns, the table, the columns that are
there and how to name yours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["CONTRACT_NAMES", "NAME_THEM", "MissingColumnsError", "require_columns"]

NAME_THEM = "Pass customer_col=, datetime_col=, monetary_col= to name yours"
"""The hint for functions that take the column names as arguments."""
CONTRACT_NAMES = ("Name them as the data contract does (docs/data_contract.md), or read the "
                  "export with crm_analysis.io.load_raw and a mapping")
"""The hint for functions that read the contract's own column names."""


class MissingColumnsError(ValueError):
    """A table lacks columns a function reads (``missing`` lists them)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


def require_columns(columns: Iterable[str], needed: Sequence[str | None], *,
                    table: str = "transactions", hint: str = NAME_THEM) -> None:
    """Raise :class:`MissingColumnsError` when a name of ``needed`` (None entries are skipped)
    is not among ``columns``.

    Examples
    --------
    >>> require_columns(["cust", "date"], ["customer_id", "date"], table="orders",
    ...                 hint="Rename them or use a mapping")
    Traceback (most recent call last):
    ...
    crm_analysis.columns.MissingColumnsError: orders lack column(s) ['customer_id']; found \
['cust', 'date']. Rename them or use a mapping
    """
    present = list(columns)
    missing = [c for c in needed if c is not None and c not in present]
    if missing:
        shown = present if len(present) <= 30 else [*present[:30], "..."]
        raise MissingColumnsError(f"{table} lack column(s) {missing}; found {shown}. {hint}",
                                  missing)
