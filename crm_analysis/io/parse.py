"""Vectorised parsing of raw columns into the contract's dtypes.

Every parser takes a raw column (strings from CSV files, or whatever Parquet/SQL delivered) and
returns the parsed column plus a boolean mask of values that were present but could not be
parsed. Values are never cleaned here: ids keep their spelling and whitespace; only the type
changes. Empty strings count as missing.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from crm_analysis.schema import PANDAS_DTYPES

_FLOAT_ID = r"^-?\d+\.0+$"
_INT_ID = r"^-?\d+$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_NS_MIN = pd.Timestamp.min
_NS_MAX = pd.Timestamp.max


def _missing(s: pd.Series) -> pd.Series:
    """True where a raw value is missing: NA/None/NaN or an empty/blank string."""
    miss = s.isna()
    if not (ptypes.is_numeric_dtype(s) or ptypes.is_datetime64_any_dtype(s)):
        text = s.astype("string")
        miss = miss | text.str.strip().eq("").fillna(True)
    return miss.astype(bool)


def parse_ids(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Ids as nullable strings; numeric ids exported as floats (``12346.0``) become ``12346``.

    A text column has its ``.0`` suffix removed only when every present value looks like an
    integer (``12346`` or ``12346.0``): then the column was numeric in the exporting system.
    Never fails.
    """
    ok = pd.Series(False, index=s.index)
    if ptypes.is_bool_dtype(s):
        return s.astype("string"), ok
    if ptypes.is_float_dtype(s):
        integral = s.notna() & np.isfinite(s) & (s % 1 == 0) & (s.abs() < 2**63)
        out = s.astype("string")
        out[integral] = s[integral].astype("int64").astype("string")
        return out.astype("string"), ok
    if ptypes.is_numeric_dtype(s):
        return s.astype("string"), ok
    out = s.astype("string")
    present = out.dropna()
    if len(present) and present.str.match(f"{_FLOAT_ID}|{_INT_ID}").all():
        out = out.str.replace(r"\.0+$", "", regex=True)
    return out, ok


def parse_numbers(
    s: pd.Series, *, decimal: str = ".", thousands: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Numbers as ``float64``.

    ``decimal``/``thousands`` apply to text values (CSV); numeric values are taken as they are.
    """
    if ptypes.is_numeric_dtype(s) or ptypes.is_bool_dtype(s):
        return s.astype("float64"), pd.Series(False, index=s.index)
    text = s.astype("string").str.strip()
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    text = text.mask(text.eq(""))
    fast = _arrow_floats(text)
    if fast is not None:  # every value parsed: no bad values
        return fast, pd.Series(False, index=s.index)
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    bad = text.notna() & out.isna()
    return out, bad.astype(bool)


def _arrow_floats(text: pd.Series) -> pd.Series | None:
    """Arrow's (multi-threaded, correctly rounded) text-to-float cast when every present value
    is a plain number; None when one is not (``pd.to_numeric`` then finds which)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = text.array
    if not (isinstance(array.dtype, pd.StringDtype) and array.dtype.storage == "pyarrow"):
        return None
    try:
        values = pc.cast(pa.array(array), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = values.to_numpy(zero_copy_only=False)
    if np.isnan(out).sum() != values.null_count:  # text such as "nan": let pandas judge it
        return None
    return pd.Series(out, index=text.index, dtype="float64")


def parse_integers(
    s: pd.Series, *, decimal: str = ".", thousands: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Whole numbers as nullable ``Int64``; ``3.0`` is 3, ``3.5`` is an error."""
    num, bad = parse_numbers(s, decimal=decimal, thousands=thousands)
    fractional = num.notna() & ((num % 1 != 0) | ~np.isfinite(num))
    out = num.mask(fractional).astype("Int64")
    return out, (bad | fractional).astype(bool)


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Booleans as nullable ``boolean``; accepts true/false, 1/0, yes/no, y/n, t/f, any case."""
    if ptypes.is_bool_dtype(s):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    if ptypes.is_numeric_dtype(s):
        num = s.astype("float64")
        bad = num.notna() & ~num.isin([0.0, 1.0])
        return num.mask(bad).astype("boolean"), bad.astype(bool)
    text = s.astype("string").str.strip().str.lower()
    text = text.mask(text.eq(""))
    true, false = text.isin(_TRUE), text.isin(_FALSE)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[true.fillna(False).astype(bool)] = True
    out[false.fillna(False).astype(bool)] = False
    bad = text.notna() & ~(true | false)
    return out, bad.fillna(False).astype(bool)


def _naive(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None)
    return values


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    try:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError:  # mixed UTC offsets: compare them in UTC
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    return _naive(parsed)


def parse_timestamps(
    s: pd.Series,
    formats: Sequence[str] = ("ISO8601",),
    format_codes: dict[str, pd.Series] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Timestamps as naive ``datetime64[ns]``.

    Text values are tried against ``formats`` in order, each format parsed vectorised over the
    values still unparsed (first match wins), so a column may mix formats. ``"ISO8601"`` means
    ISO 8601 as pandas reads it (``2024-01-31``, ``2024-01-31 10:15:00``, ``2024-01-31T10:15``).
    Time-zone aware values keep their wall-clock time and lose the zone. Values outside the
    ``datetime64[ns]`` range (years 1677..2262) are errors. If ``format_codes`` is given, its
    key ``"codes"`` receives per row the position in ``formats`` of the format that parsed the
    value (``int8``; -1 where missing, unparsed or not text), so that cleaning can report values
    written in another format than the first.
    """
    if (
        s.dtype == object
        and s.notna().any()
        and all(isinstance(v, datetime.date) for v in s.dropna())
    ):  # date/datetime objects from a database driver
        s = pd.to_datetime(s, errors="coerce")
    if ptypes.is_datetime64_any_dtype(s):
        parsed = _naive(s).astype("datetime64[us]")
        present = parsed.notna()
    else:
        text = s.astype("string").str.strip()
        text = text.mask(text.eq(""))
        present = text.notna()
        parsed = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
        todo = present.copy()
        codes = np.full(len(s), -1, dtype=np.int8)
        for position, fmt in enumerate(formats):
            if not todo.any():
                break
            parsed[todo] = _to_datetime(text[todo], fmt).astype("datetime64[us]")
            still = present & parsed.isna()
            codes[(todo & ~still).to_numpy()] = position
            todo = still
        if format_codes is not None:
            format_codes["codes"] = pd.Series(codes, index=s.index)
    in_range = parsed.isna() | ((parsed >= _NS_MIN) & (parsed <= _NS_MAX))
    parsed = parsed.where(in_range)
    bad = present & parsed.isna()
    return parsed.astype("datetime64[ns]"), bad.astype(bool)


def parse_text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text as nullable ``string``; never fails."""
    return s.astype("string"), pd.Series(False, index=s.index)


def parse_column(
    s: pd.Series,
    dtype: str,
    *,
    date_formats: Sequence[str] = ("ISO8601",),
    decimal: str = ".",
    thousands: str | None = None,
    format_codes: dict[str, pd.Series] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse one raw column into a contract dtype (``id``, ``timestamp``, ``number``, ...).

    Returns
    -------
    (parsed, bad) : tuple of pandas.Series
        The parsed column (pandas dtype ``PANDAS_DTYPES[dtype]``) and a bool mask of values that
        were present but could not be parsed (they are missing in ``parsed``).
    """
    if dtype == "id":
        out, bad = parse_ids(s)
    elif dtype == "timestamp":
        out, bad = parse_timestamps(s, date_formats, format_codes)
    elif dtype == "number":
        out, bad = parse_numbers(s, decimal=decimal, thousands=thousands)
    elif dtype == "integer":
        out, bad = parse_integers(s, decimal=decimal, thousands=thousands)
    elif dtype == "bool":
        out, bad = parse_bools(s)
    elif dtype == "text":
        out, bad = parse_text(s)
    else:
        raise ValueError(f"unknown contract dtype {dtype!r}")
    return out.astype(PANDAS_DTYPES[dtype]), bad
