"""CSV lists written for people (opened in a spreadsheet) and for import jobs (read by a program).

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a
tab or a carriage return) as a formula: ``=HYPERLINK(...)`` or a DDE call hidden in a product
name or customer id would run on the reader's machine (CSV injection). Lists for people therefore
go through :func:`spreadsheet_safe`, the usual rule: such a text cell gets a leading single quote
(``'=1+1``), which spreadsheets show as text. Numbers are written as numbers (a negative number is
not a formula).

Files that another system imports (``churn_crm_export.csv``) keep their exact values, because the
importing system matches ids character by character; they are written by :func:`write_import_csv`
and are not meant to be opened in a spreadsheet. README.md lists which file is which.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from crm_analysis.atomic import atomic_path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula (OWASP's list)."""

NEUTRALISER = "'"
"""Put before such a cell: spreadsheets show what follows as text and hide the quote."""


def _neutralise(values: pd.Series) -> pd.Series:
    text = values.astype("string")
    risky = text.str.startswith(FORMULA_PREFIXES).fillna(False)
    if not risky.any():
        return values
    return text.mask(risky, NEUTRALISER + text)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula.

    Text cells (string, object and categorical columns) that start with one of
    :data:`FORMULA_PREFIXES` get :data:`NEUTRALISER` in front; numbers, dates and booleans are
    kept as they are.

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"id": ["=1+1", "C7"], "x": [-1.5, 2.0]}))["id"].tolist()
    ["'=1+1", 'C7']
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            dtype = dtype.categories.dtype
        if getattr(dtype, "kind", "") == "O" or pd.api.types.is_string_dtype(dtype):
            out.isetitem(position, _neutralise(column))
    out.columns = _neutralise(pd.Series(out.columns.astype(str))).tolist()
    return out


def write_people_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a list meant to be opened in a spreadsheet: formula-safe, UTF-8 with a byte-order mark
    (so Excel reads accents and emoji right), atomically (temporary file, then rename)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        spreadsheet_safe(frame).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_import_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a file for another system to import: exact values, UTF-8 without a byte-order mark,
    atomically (temporary file, then rename). Not meant to be opened in a spreadsheet."""
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")
    return path
