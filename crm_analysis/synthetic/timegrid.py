"""Time inside the generator: minutes since the period start, seasonality, formatting.

All event times are int64 *minutes since* ``config.start`` (midnight); the day index is
``minutes // 1440``. Purchases are simulated in operational time (cumulative seasonal
intensity, in days) and mapped back to calendar days on a daily grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_analysis.synthetic.config import SyntheticConfig

MINUTES_PER_DAY = 1440

WEEKDAY_PROFILE = np.array([-0.05, -0.05, 0.0, 0.0, 0.05, 0.10, -0.05])
"""Relative weekday effect, Monday..Sunday (scaled by ``seasonality_strength``)."""

HOUR_PROFILE = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 5.5, 6, 5.5, 5, 5, 5, 5.5, 6, 7, 7.5, 6.5, 4.5, 2.5]
)
"""Relative weight of each hour of the day for purchases (daytime and evening peaks)."""


def seasonal_profile(cfg: SyntheticConfig) -> np.ndarray:
    """Daily intensity multiplier ``s(d)`` for each day of the period (mean exactly 1).

    ``s = (1 + k * weekday(d)) * (1 + k * yearly(d))`` with ``k = seasonality_strength``;
    ``yearly`` has a Q4 peak (+0.6 around 6 December) and a summer dip (-0.15 around 1 August).
    """
    days = pd.date_range(cfg.start_ts, periods=cfg.n_days, freq="D")
    doy = days.day_of_year.to_numpy(dtype=float)
    k = cfg.seasonality_strength
    yearly = 0.6 * np.exp(-(((doy - 340.0) / 25.0) ** 2)) - 0.15 * np.exp(
        -(((doy - 213.0) / 30.0) ** 2)
    )
    weekly = WEEKDAY_PROFILE[days.day_of_week.to_numpy()]
    s = (1.0 + k * weekly) * (1.0 + k * yearly)
    return s / s.mean()


def cumulative_intensity(profile: np.ndarray) -> np.ndarray:
    """Operational time at the start of each day: ``C[d] = sum(profile[:d])``, length n_days+1."""
    return np.concatenate([[0.0], np.cumsum(profile)])


def draw_minute_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Minute of the day (0..1439) drawn from :data:`HOUR_PROFILE`, int64."""
    hours = rng.choice(24, size=n, p=HOUR_PROFILE / HOUR_PROFILE.sum())
    return hours.astype(np.int64) * 60 + rng.integers(0, 60, size=n)


_HOUR_CDF = np.concatenate([[0.0], np.cumsum(HOUR_PROFILE) / HOUR_PROFILE.sum()])


def minute_of_day_at(fraction: np.ndarray) -> np.ndarray:
    """Minute of the day (0..1439) at a position ``fraction`` in [0, 1) of the day's purchases.

    The inverse of the daytime distribution :data:`HOUR_PROFILE` (uniform within an hour): a
    uniform ``fraction`` gives minutes distributed like :func:`draw_minute_of_day`, and a larger
    fraction never gives an earlier minute, so events keep their order within a day.
    """
    u = np.clip(np.asarray(fraction, dtype=float), 0.0, np.nextafter(1.0, 0.0))
    hour = np.searchsorted(_HOUR_CDF, u, side="right") - 1
    within = (u - _HOUR_CDF[hour]) / (_HOUR_CDF[hour + 1] - _HOUR_CDF[hour])
    return (hour * 60 + np.floor(within * 60)).astype(np.int64)


def fraction_of_day_at(minute_of_day: np.ndarray) -> np.ndarray:
    """Inverse of :func:`minute_of_day_at`: the position in [0, 1) of the start of a minute."""
    m = np.asarray(minute_of_day, dtype=np.int64)
    hour = m // 60
    return _HOUR_CDF[hour] + (m % 60) / 60.0 * (_HOUR_CDF[hour + 1] - _HOUR_CDF[hour])


def to_timestamps(cfg: SyntheticConfig, minutes: np.ndarray) -> np.ndarray:
    """Minutes since the start -> ``datetime64[ns]`` (float NaN -> NaT)."""
    minutes = np.asarray(minutes)
    base = cfg.start_ts.to_datetime64().astype("datetime64[ns]")
    if minutes.dtype.kind == "f":
        out = np.full(minutes.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        ok = ~np.isnan(minutes)
        out[ok] = base + (minutes[ok].astype(np.int64) * 60_000_000_000).astype("timedelta64[ns]")
        return out
    return base + (minutes.astype(np.int64) * 60_000_000_000).astype("timedelta64[ns]")


ISO_FORMAT = "%Y-%m-%d %H:%M:%S"
ALT_FORMATS = ("%d/%m/%Y %H:%M", "%Y%m%d %H%M%S")
"""Non-ISO ``order_date`` formats of the dirty export (in this order of kind 1, 2)."""


def format_minutes(cfg: SyntheticConfig, minutes: np.ndarray, fmt_code: np.ndarray) -> pa.Array:
    """Format minutes since the start as strings, fast (lookup tables, no per-row Python).

    ``fmt_code`` per value: 0 = ISO ``%Y-%m-%d %H:%M:%S``, 1 = ``%d/%m/%Y %H:%M``,
    2 = ``%Y%m%d %H%M%S``.
    """
    minutes = np.asarray(minutes, dtype=np.int64)
    day = minutes // MINUTES_PER_DAY
    mod = minutes % MINUTES_PER_DAY
    lo, hi = int(day.min(initial=0)), int(day.max(initial=0))
    days = pd.date_range(cfg.start_ts + pd.Timedelta(days=lo), periods=hi - lo + 1, freq="D")
    hm = np.arange(MINUTES_PER_DAY)
    hh = np.char.zfill((hm // 60).astype(str), 2)
    mm = np.char.zfill((hm % 60).astype(str), 2)
    day_tables = [days.strftime("%Y-%m-%d"), days.strftime("%d/%m/%Y"), days.strftime("%Y%m%d")]
    time_tables = [
        np.char.add(np.char.add(np.char.add(hh, ":"), mm), ":00"),
        np.char.add(np.char.add(hh, ":"), mm),
        np.char.add(np.char.add(hh, mm), "00"),
    ]
    day_idx = pa.array(day - lo)
    mod_idx = pa.array(mod)
    out = None
    for code in range(3):
        d = pa.array(np.asarray(day_tables[code], dtype=object).tolist(), pa.string())
        t = pa.array(time_tables[code].tolist(), pa.string())
        s = pc.binary_join_element_wise(d.take(day_idx), t.take(mod_idx), " ")
        out = s if out is None else pc.if_else(pa.array(fmt_code == code), s, out)
    return out
