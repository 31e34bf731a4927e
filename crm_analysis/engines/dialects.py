"""The few SQL spellings that differ between the SQL engines (DuckDB, Spark SQL), and the SQL
of a timestamp's period (day or hour) that every aggregation shares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DIALECTS", "Dialect", "before_sql", "ident", "period_sql"]

_UNIT_MICROS = {"D": 86_400_000_000, "h": 3_600_000_000}


@dataclass(frozen=True)
class Dialect:
    """The spellings that differ between the SQL engines."""

    epoch_micros: str  # function: TIMESTAMP -> microseconds since 1970-01-01 (BIGINT)
    quote: str  # identifier quote character
    double: str  # name of the 64-bit float type
    text: str  # name of the string type
    day_number: str  # expression: DATE {x} -> days since 1970-01-01 (integer)


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect(epoch_micros="epoch_us", quote='"', double="DOUBLE", text="VARCHAR",
                      day_number="(CAST({x} AS DATE) - DATE '1970-01-01')"),
    "spark": Dialect(epoch_micros="unix_micros", quote="`", double="DOUBLE", text="STRING",
                     day_number="unix_date(CAST({x} AS DATE))"),
}
"""Engine name -> its dialect."""


def ident(name: str, dialect: Dialect) -> str:
    """A quoted identifier in ``dialect``.

    >>> print(ident("order`date", DIALECTS["spark"]))
    `order``date`
    """
    q = dialect.quote
    return q + name.replace(q, q + q) + q


def period_sql(datetime_col: str, dialect: Dialect, time_unit: str) -> str:
    """SQL for the period number (``time_unit`` "D" or "h" since 1970-01-01) of a timestamp.

    The calendar day or hour of the wall-clock time, as numpy's ``datetime64[D]``/``[h]``.

    Raises
    ------
    ValueError
        A unit other than "D" or "h".
    """
    if time_unit not in _UNIT_MICROS:
        raise ValueError(f"time_unit must be one of {sorted(_UNIT_MICROS)} for the SQL engines, "
                         f"got {time_unit!r}")
    column = f"CAST({ident(datetime_col, dialect)} AS TIMESTAMP)"
    if time_unit == "D":  # a DATE key: about 15% faster than dividing microseconds (30M rows)
        return dialect.day_number.format(x=column)
    return (f"CAST(FLOOR({dialect.epoch_micros}({column})"
            f" / {_UNIT_MICROS[time_unit]}.0) AS BIGINT)")


def before_sql(datetime_col: str, dialect: Dialect, time_unit: str,
               last_period: int | None) -> str:
    """SQL condition: the date is present and its period is at most ``last_period``.

    ``last_period=None`` keeps every dated row. The cut is a filter on the raw column
    (``ts < start of the next period``), so a file scan can push it down.

    >>> print(before_sql("d", DIALECTS["duckdb"], "D", 19722))
    CAST("d" AS TIMESTAMP) < TIMESTAMP '2024-01-01 00:00:00.000000'
    """
    dt = ident(datetime_col, dialect)
    if last_period is None:
        return f"{dt} IS NOT NULL"
    stop = np.datetime64((int(last_period) + 1) * _UNIT_MICROS[time_unit], "us")
    return f"CAST({dt} AS TIMESTAMP) < TIMESTAMP '{str(stop).replace('T', ' ')}'"
