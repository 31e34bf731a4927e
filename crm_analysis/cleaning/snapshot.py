"""The snapshot date, ``as_of`` ("analyse as of this day"); every later timestamp is ignored."""

from __future__ import annotations

import pandas as pd

from crm_analysis.features.time_units import DAYS_PER_WEEK

MIN_DAY_SHARE = 0.1
"""A day belongs to the export while the orders of the week around it reach this share of a
busy week's."""
BUSY_QUANTILE = 0.9
"""A busy week: this quantile of those weekly counts (over days with orders)."""
WINDOW_DAYS = DAYS_PER_WEEK
"""Orders are counted over the week centred on each day."""


def infer_snapshot_date(
    order_dates: pd.Series, *, today: pd.Timestamp | None = None
) -> pd.Timestamp:
    """The last day of the data, ignoring stray future-dated rows.

    Exports often carry a few timestamps after the export (typos, test orders, dates in the
    wrong format). They are isolated, while the real data fill every week, so the snapshot is
    the last day with orders whose surrounding week (:data:`WINDOW_DAYS`, centred on the day)
    holds at least ``MIN_DAY_SHARE`` of a busy week's orders (the ``BUSY_QUANTILE`` of those
    counts over days with orders; a high quantile, because a young business starts slowly), and
    never later than ``today``. A week rather than a day: on a small shop a busy day has a few
    orders, so a single stray order a few days after the export looked like a day of data; the
    week around it is empty but for itself. The last real day keeps half a week of orders
    before it.

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
    every_day = per_day.reindex(pd.date_range(per_day.index[0], per_day.index[-1]), fill_value=0)
    week = every_day.rolling(WINDOW_DAYS, center=True, min_periods=1).sum()[per_day.index]
    busy = week[week >= MIN_DAY_SHARE * week.quantile(BUSY_QUANTILE)]
    return busy.index[-1]


def end_of_day(as_of: pd.Timestamp) -> pd.Timestamp:
    """First instant after the day ``as_of``: rows at or after it are after ``as_of``."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
