"""Date formats read from a column's values, when the mapping names none.

Exports write dates as their locale does: ``31.12.2025`` (day first), ``12/31/2025 14:05`` or
``2/20/11 11:39`` (month first, two-digit years), often mixed in one column. For the values that
are not ISO 8601, :func:`infer_date_formats` decides the order of day and month from the values
themselves: a first number above 12 means day first, a second number above 12 month first. Each
spelling present (separator, two- or four-digit year, with or without hours, minutes, seconds)
gets its format, so a column mixing ``12/06/2010 10:08`` and ``2/20/11 11:39`` is read whole.
When every value has both numbers at most 12 the order cannot be told: :class:`AmbiguousDates`
names both readings and the mapping line that settles it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["AmbiguousDates", "infer_date_formats"]

_PATTERN = (r"^(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
            r"(?:(?P<t>[ T])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?$")


@dataclass(frozen=True)
class AmbiguousDates:
    """Day and month cannot be told apart: both readings, with an example value."""

    day_first: tuple[str, ...]
    month_first: tuple[str, ...]
    example: str

    def message(self, column: str) -> str:
        return (f"dates such as {self.example!r} read both day first ({self.day_first[0]}) and "
                f"month first ({self.month_first[0]}): every value has day and month at most 12. "
                f"Name the format in the mapping, e.g. `date_formats: [\"{self.day_first[0]}\"]`"
                f" for {column}")


def _formats(parts: pd.DataFrame, day_first: bool) -> tuple[str, ...]:
    """One format per spelling present, the most common first."""
    order = "%d{sep}%m{sep}" if day_first else "%m{sep}%d{sep}"
    spelling = (parts["sep"] + "|" + parts["year"].str.len().astype(str) + "|"
                + parts["t"].fillna("") + "|" + parts["h"].notna().astype(str) + "|"
                + parts["s"].notna().astype(str))
    out = []
    for key in spelling.value_counts().index:
        sep, digits, t, has_time, has_seconds = key.split("|")
        fmt = order.format(sep=sep) + ("%Y" if digits == "4" else "%y")
        if has_time == "True":
            fmt += (t or " ") + "%H:%M" + (":%S" if has_seconds == "True" else "")
        out.append(fmt)
    return tuple(out)


def infer_date_formats(values: pd.Series) -> tuple[str, ...] | AmbiguousDates | None:
    """Formats for the text dates of ``values`` that are not ISO 8601.

    Returns
    -------
    tuple of str
        strptime formats (day-first or month-first), most common spelling first.
    AmbiguousDates
        When no value tells day from month.
    None
        When no value looks like a day-month-year date (nothing to add).
    """
    text = values.dropna().astype("string").str.strip()
    parts = text.str.extract(_PATTERN)
    parts = parts[parts["a"].notna()]
    if parts.empty:
        return None
    a, b = parts["a"].astype(int), parts["b"].astype(int)
    day_first = bool((a > 12).any())
    month_first = bool((b > 12).any())
    if day_first and not month_first:
        return _formats(parts, True)
    if month_first and not day_first:
        return _formats(parts, False)
    if not day_first and not month_first:
        example = text[parts.index[0]]
        return AmbiguousDates(_formats(parts, True), _formats(parts, False), str(example))
    return _formats(parts, True)  # both seen: values are wrong either way; day first reports them
