"""The snapshot date: "analyse as of this day"; every later timestamp is ignored."""

from __future__ import annotations

import pandas as pd

MIN_DAY_SHARE = 0.1
"""A day belongs to the export while its order count is at least this share of a busy day."""
BUSY_QUANTILE = 0.9
"""A busy day: this quantile of the daily order counts (over days with orders)."""


def infer_snapshot_date(
    order_dates: pd.Series, *, today: pd.Timestamp | None = None
) -> pd.Timestamp:
    """The last day of the data, ignoring stray future-dated rows.

    Exports often carry a few timestamps far after the export (typos, test orders, dates in the
    wrong format). They are rare per day, while the real data fill every day, so the snapshot is
    the last day whose order count reaches ``MIN_DAY_SHARE`` of a busy day's (the
    ``BUSY_QUANTILE`` of daily counts over days with orders; a high quantile, because a young
    business starts slowly), and never later than ``today``.

    Parameters
    ----------
    order_dates : pandas.Series of datetime64
        Order timestamps (missing values are ignored).
    today : pandas.Timestamp, optional
        The wall-clock day (default: now); later days are always in the future.

    Returns
    -------
    pandas.Timestamp
        Midnight of the snapshot day; data up to the end of that day is "as of" it.
    """
    days = pd.to_datetime(order_dates).dropna().dt.normalize()
    if days.empty:
        raise ValueError("no order dates: cannot infer a snapshot date")
    today = pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today).normalize()
    per_day = days[days <= today].value_counts().sort_index()
    if per_day.empty:
        raise ValueError(f"every order date lies after today ({today.date()})")
    busy = per_day[per_day >= MIN_DAY_SHARE * per_day.quantile(BUSY_QUANTILE)]
    return busy.index[-1]


def end_of_day(snapshot: pd.Timestamp) -> pd.Timestamp:
    """First instant after the snapshot day: rows at or after it are after the snapshot."""
    return pd.Timestamp(snapshot).normalize() + pd.Timedelta(days=1)
