"""How a CSV export is written: separator, decimal and thousands marks, encoding, missing values.

Exports come as their tool wrote them: Excel in much of Europe writes ``;`` with decimal commas
in cp1252, R writes ``NA`` for missing values, databases ``NULL``. :func:`detect_dialect` reads
what the mapping leaves open from the file itself:

- **encoding**: a UTF-8 byte-order mark means ``utf-8-sig``; bytes that decode as UTF-8 mean
  ``utf-8``; otherwise ``cp1252`` (Windows' Western European code page, a superset of latin-1's
  printable characters), and ``latin-1`` if even that fails (it never does);
- **separator and quoting**: DuckDB's CSV sniffer (``sniff_csv``) on the file, kept only when it
  is one of ``,`` ``;`` tab ``|``;
- **decimal and thousands marks**: from the values of the number-like columns of a sample of
  rows: ``12,5`` means a decimal comma (and ``1.234,56`` thousands points); ``7.25`` a decimal
  point (and ``1,234.56`` thousands commas); ``1.234`` alone could be either and decides
  nothing. With a comma separator the marks stay ``.`` and none;
- **missing values**: empty fields always; ``NA``, ``N/A``, ``#N/A``, ``NULL`` and ``null`` where
  a column holds them beside other values (a column of only ``NA`` keeps them as text, e.g. the
  country code of Namibia).

A setting the mapping gives (``separator:``, ``decimal:``, ``thousands:``, ``encoding:``) is
used as given; :attr:`Dialect.detected` names the ones read from the file.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["MISSING_MARKERS", "SEPARATORS", "Dialect", "detect_dialect"]

SEPARATORS = (",", ";", "\t", "|")
"""Field separators recognised without a mapping."""

MISSING_MARKERS = ("NA", "N/A", "#N/A", "NULL", "null")
"""Field values read as missing (besides the empty field) when a column also holds others."""

SAMPLE_BYTES = 1 << 20
"""How much of a file the detection reads (1 MiB, decompressed)."""

_COMMA_DECIMAL = re.compile(r"^[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_POINT_DECIMAL = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_COMMA_FRACTION = re.compile(r",(?:\d{1,2}|\d{4,})$")
_POINT_FRACTION = re.compile(r"\.(?:\d{1,2}|\d{4,})$")
_POINT_GROUPS = re.compile(r"^[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_COMMA_GROUPS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True)
class Dialect:
    """The way one CSV file is written; ``detected`` names the settings read from the file."""

    separator: str = ","
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    missing: tuple[str, ...] = ()
    detected: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for people, e.g. ``separator ';', decimal ',', ... (detected: separator)``."""
        names = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
        parts = [f"separator {names.get(self.separator, repr(self.separator))}",
                 f"decimal {self.decimal!r}",
                 f"thousands {self.thousands!r}" if self.thousands else "no thousands mark",
                 f"encoding {self.encoding}"]
        if self.missing:
            parts.append("missing values " + ", ".join(repr(m) for m in ("", *self.missing)))
        found = f" (read from the file: {', '.join(self.detected)})" if self.detected else ""
        return ", ".join(parts) + found


def _sample(path: Path) -> bytes:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return handle.read(SAMPLE_BYTES)


def _encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for name in ("utf-8", "cp1252"):
        try:
            data.decode(name)
        except UnicodeDecodeError as exc:
            if name == "utf-8" and exc.start >= len(data) - 3:  # a character cut by the sample
                return name
            continue
        return name
    return "latin-1"


def _separator(path: Path, encoding: str) -> str | None:
    """DuckDB's sniffer; None when it cannot tell or finds another separator."""
    import duckdb

    duck_encoding = {"utf-8": "utf-8", "utf-8-sig": "utf-8"}.get(encoding, "latin-1")
    try:
        with duckdb.connect() as con:
            row = con.execute("select Delimiter from sniff_csv(?, encoding = ?, "
                              "sample_size = 20480)", [str(path), duck_encoding]).fetchone()
    except duckdb.Error:
        return None
    found = row[0] if row else None
    return found if found in SEPARATORS else None


def _numbers(sample: pd.DataFrame) -> tuple[str, str | None] | None:
    """Decimal and thousands marks from the number-like text columns, or None if no column
    tells. A column tells when all its values read one way and one of them shows it
    unambiguously (``12,5`` for a decimal comma, ``7.25`` for a decimal point); ``1.234`` alone
    could be either."""
    votes = {",": 0, ".": 0}
    groups = {",": False, ".": False}
    for column in sample.columns:
        values = sample[column].dropna()
        values = values[~values.isin(MISSING_MARKERS)]
        if values.empty or not values.str.contains(r"\d", regex=True).all():
            continue
        if values.str.fullmatch(_COMMA_DECIMAL).all() and values.str.contains(
                _COMMA_FRACTION).any():
            votes[","] += 1
            groups["."] |= bool(values.str.contains(_POINT_GROUPS).any())
        elif values.str.fullmatch(_POINT_DECIMAL).all() and values.str.contains(
                _POINT_FRACTION).any():
            votes["."] += 1
            groups[","] |= bool(values.str.contains(_COMMA_GROUPS).any())
    if votes[","] > votes["."]:
        return ",", "." if groups["."] else None
    if votes["."]:
        return ".", "," if groups[","] else None
    return None


def _missing(sample: pd.DataFrame) -> tuple[str, ...]:
    """Markers that stand for missing values: present in a column beside other values."""
    found = set()
    for column in sample.columns:
        values = sample[column].dropna()
        is_marker = values.isin(MISSING_MARKERS)
        if is_marker.any() and not is_marker.all():
            found.update(values[is_marker].unique())
    return tuple(m for m in MISSING_MARKERS if m in found)


def detect_dialect(path: str | Path, *, separator: str | None = None,
                   decimal: str | None = None, thousands: str | None = None,
                   encoding: str | None = None) -> Dialect:
    """Read the dialect of a CSV file (optionally ``.gz``); given settings are kept as given.

    Parameters
    ----------
    path : str or path
        The file.
    separator, decimal, thousands, encoding : str, optional
        Settings from the mapping; ``None`` means "read it from the file".

    Returns
    -------
    Dialect
    """
    path = Path(path)
    detected = []
    data = _sample(path)
    if encoding is None:
        encoding = _encoding(data)
        if encoding != "utf-8":
            detected.append("encoding")
    if separator is None:
        separator = _separator(path, encoding)
        if separator is None:
            separator = ","
        elif separator != ",":
            detected.append("separator")
    text = data.decode(encoding, errors="replace")
    if len(data) == SAMPLE_BYTES:  # drop the last, possibly cut, line
        text = text[: text.rfind("\n") + 1]
    try:
        import io

        sample = pd.read_csv(io.StringIO(text), sep=separator, dtype=str,
                             keep_default_na=False, na_values=[""], nrows=5_000)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        sample = pd.DataFrame()
    if decimal is None and thousands is not None:  # the mapping's thousands mark decides
        decimal = "," if thousands == "." else "."
    if decimal is None:
        marks = _numbers(sample) if separator != "," else None
        decimal = marks[0] if marks else "."
        if marks and thousands is None and marks[1] is not None:
            thousands = marks[1]
            detected.append("thousands")
        if decimal != ".":
            detected.append("decimal")
    missing = _missing(sample)
    if missing:
        detected.append("missing values")
    return Dialect(separator, decimal, thousands, encoding, missing, tuple(detected))
