"""Demand over time: order lines to revenue, orders and units per week or month.

Weeks start on Monday; months on the first day. A period is *complete* when all its days lie
between the first day of the data and the snapshot day; charts, growth figures and forecasts use
complete periods only, so a half-observed week never looks like a slump.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crm_analysis.demand.daily import MEASURES, DailyDemand
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.keys import positions

ALL = "All products"
"""Category label when there are no order items (demand is orders and revenue overall)."""

UNKNOWN = "Unknown"
"""Category label of lines whose product has no category (or orders without lines)."""

YEAR_LAG = {"W": 52, "M": 12}
"""Periods in a year, per frequency."""


def period_start(dates: pd.Series | np.ndarray, freq: str) -> np.ndarray:
    """First day of the week (Monday) or month of each timestamp.

    Parameters
    ----------
    dates : Series or array of datetime64
        Timestamps.
    freq : {"W", "M"}
        Weeks (Monday to Sunday) or calendar months.

    Returns
    -------
    numpy.ndarray of datetime64[D]
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    if freq == "W":
        return days - (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (=3)
    if freq == "M":
        return days.astype("datetime64[M]").astype("datetime64[D]")
    raise ValueError(f"freq must be 'W' or 'M', got {freq!r}")


def period_end(starts: np.ndarray | pd.Series, freq: str) -> np.ndarray:
    """Last day of the week or month starting at ``starts`` (datetime64[D])."""
    starts = np.asarray(starts, dtype="datetime64[D]")
    if freq == "W":
        return starts + np.timedelta64(6, "D")
    nxt = (starts.astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[D]")
    return nxt - np.timedelta64(1, "D")


def period_range(first: np.datetime64, last: np.datetime64, freq: str) -> pd.DatetimeIndex:
    """Every period start from ``first`` to ``last`` (both period starts), as ``period``."""
    if freq == "W":
        days = np.arange(first, last + np.timedelta64(1, "D"), np.timedelta64(DAYS_PER_WEEK, "D"))
    else:
        months = np.arange(np.datetime64(first, "M"), np.datetime64(last, "M") + 1)
        days = months.astype("datetime64[D]")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"), name="period")


def demand_lines(
    orders: pd.DataFrame,
    order_items: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    *,
    as_of: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The demand fact table: one row per order line, or per order when there are no items.

    Cancelled orders (``status == "cancelled"``) and orders after the day ``as_of`` are left
    out; guest orders (no ``customer_id``) are kept: they are demand.

    Parameters
    ----------
    orders : DataFrame
        ``order_id`` (optional; unique, as after cleaning), ``customer_id``, ``order_date``,
        optional ``amount`` (currency; NaN revenue without it) and ``status``.
    order_items : DataFrame, optional
        ``order_id``, ``product_id``, ``quantity`` (units), ``unit_price`` (currency per unit),
        optional ``discount`` (fraction 0..1).
    products : DataFrame, optional
        ``product_id``, ``category``.
    as_of : date-like, optional
        Last day analysed (inclusive).

    Returns
    -------
    DataFrame
        ``order_id``, ``customer_id``, ``order_date``, ``product_id`` (categorical, missing
        without items), ``category`` (categorical; :data:`ALL` without items or products,
        :data:`UNKNOWN` for a product without a category and for orders without lines),
        ``quantity`` (units,
        NaN without items) and ``revenue`` (currency, net of discount).
    """
    keep = np.ones(len(orders), dtype=bool)
    if "status" in orders:
        keep &= ~orders["status"].eq("cancelled").fillna(False).to_numpy(dtype=bool)
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        keep &= (orders["order_date"] < end).to_numpy()
    o = orders.loc[keep]
    amount = (o["amount"].to_numpy(dtype="float64") if "amount" in o
              else np.full(len(o), np.nan))  # a visit log has no money
    order_id = o["order_id"] if "order_id" in o else pd.Series(
        np.arange(len(o)).astype(str), index=o.index, dtype="string")
    if order_items is None:
        return pd.DataFrame({
            "order_id": order_id.to_numpy(),
            "customer_id": o["customer_id"].to_numpy(),
            "order_date": o["order_date"].to_numpy(),
            "product_id": pd.Categorical([None] * len(o)),
            "category": pd.Categorical(np.full(len(o), ALL)),
            "quantity": np.full(len(o), np.nan),
            "revenue": amount,
        })
    if len(pd.unique(order_id.dropna())) < order_id.notna().sum():  # Arrow-fast check
        raise ValueError("orders.order_id must be unique (run the cleaning step first)")
    pos = positions(order_items["order_id"], pd.Index(order_id))
    items = order_items.loc[pos >= 0]
    pos = pos[pos >= 0]
    discount = (items["discount"].fillna(0.0).to_numpy(dtype="float64")
                if "discount" in items else 0.0)
    quantity = items["quantity"].to_numpy(dtype="float64")
    product = pd.Categorical(items["product_id"])
    if products is not None and "category" in products:
        cats = products.set_index("product_id")["category"].astype("string")
        cat_of = np.append(cats.reindex(product.categories).fillna(UNKNOWN)
                           .to_numpy(dtype=object), UNKNOWN)  # code -1: no product id
        category = pd.Categorical(cat_of[product.codes])
    else:
        category = pd.Categorical(np.full(len(items), ALL))
    lines = pd.DataFrame({
        "order_id": order_id.array.take(pos),
        "customer_id": o["customer_id"].array.take(pos),
        "order_date": o["order_date"].to_numpy()[pos],
        "product_id": product,
        "category": category,
        "quantity": quantity,
        "revenue": quantity * items["unit_price"].to_numpy(dtype="float64") * (1 - discount),
    })
    bare = (np.bincount(pos, minlength=len(o)) == 0) & (amount > 0)
    if bare.any():  # orders without lines still count as demand, category unknown
        extra = pd.DataFrame({
            "order_id": order_id.array[bare], "customer_id": o["customer_id"].array[bare],
            "order_date": o["order_date"].to_numpy()[bare],
            "product_id": pd.Categorical([None] * int(bare.sum())),
            "category": pd.Categorical(np.full(int(bare.sum()), UNKNOWN)),
            "quantity": np.nan, "revenue": amount[bare]})
        lines = pd.concat([lines, extra], ignore_index=True)
        for col in ("product_id", "category"):
            lines[col] = lines[col].astype("category")
    return lines


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def aggregate(
    daily: DailyDemand,
    *,
    freq: str = "W",
    by: str | Sequence[str] | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Revenue, orders and units per period (and group), on a full grid with zeros.

    Parameters
    ----------
    daily : DailyDemand
        Demand per calendar day (:func:`~crm_analysis.demand.daily_demand` of the lines, or
        :func:`~crm_analysis.demand.scan_daily` on any engine).
    freq : {"W", "M"}
        Weeks starting Monday, or calendar months.
    by : str or list of str, optional
        Group columns, e.g. ``"category"`` or ``["category", "product_id"]``; None = overall.
    start, end : date-like, optional
        First and last day observed (defaults: first and last day with a sale); they decide
        which periods are complete.

    Returns
    -------
    DataFrame
        ``period`` (first day), the ``by`` columns, ``revenue`` (currency), ``orders``
        (distinct orders with a line in the group), ``units`` (sum of quantities; NaN without
        items) and ``complete`` (bool). Groups without sales in a period have zeros.
    """
    keys = _as_list(by)
    table = daily.level(keys)
    days = table["day"].to_numpy(dtype="datetime64[D]")
    if not len(days):
        raise ValueError("no demand to aggregate: no order lies before the snapshot")
    first = np.datetime64(pd.Timestamp(start).date(), "D") if start is not None else days.min()
    last = np.datetime64(pd.Timestamp(end).date(), "D") if end is not None else days.max()
    period = period_start(days, freq)
    frame = table[[*keys, *MEASURES]].assign(period=period.astype("datetime64[ns]"))
    grouped = frame.groupby([*keys, "period"], observed=True, sort=True)[list(MEASURES)].sum()
    periods = period_range(period.min(), period.max(), freq)
    if keys:
        wide = grouped.unstack("period", fill_value=0)
        full = pd.MultiIndex.from_product([wide.columns.levels[0], periods],
                                          names=[None, "period"])
        wide = wide.reindex(columns=full, fill_value=0)
        out = wide.stack("period", future_stack=True).reset_index()
    else:
        out = grouped.reindex(periods, fill_value=0).reset_index()
    if not daily.has_units:
        out["units"] = np.nan
    starts = out["period"].to_numpy(dtype="datetime64[D]")
    out["complete"] = (starts >= first) & (period_end(starts, freq) <= last)
    out["orders"] = out["orders"].astype(np.int64)
    return out[["period", *keys, "revenue", "orders", "units", "complete"]]


def to_wide(table: pd.DataFrame, *, value: str = "revenue", by: str | None = None,
            complete_only: bool = True) -> pd.DataFrame:
    """Periods as rows, groups as columns (one column ``"total"`` when ``by`` is None)."""
    t = table[table["complete"]] if complete_only else table
    if by is None:
        return t.set_index("period")[[value]].rename(columns={value: "total"})
    return t.pivot_table(index="period", columns=by, values=value, aggfunc="sum",
                         observed=True).rename_axis(columns=None)


def growth(table: pd.DataFrame, *, value: str = "revenue", by: str | None = None,
           freq: str = "M", total_label: str = "All categories") -> pd.DataFrame:
    """Change versus the previous period and the same period a year before, per group.

    Parameters
    ----------
    table : DataFrame
        From :func:`aggregate` with the same ``freq`` and ``by``; complete periods are used.
    value : str
        ``"revenue"``, ``"orders"`` or ``"units"``.
    by : str, optional
        Group column; a total row per period (``total_label``) is added. Without ``by`` the
        one series is called ``total_label``.
    freq : {"W", "M"}
        Frequency of ``table`` (a year is 52 weeks or 12 months).

    Returns
    -------
    DataFrame
        ``period``, ``group``, ``value``, ``previous``, ``vs_previous`` (relative change, 0.1 =
        +10 %), ``year_ago``, ``vs_year_ago``; NaN where the earlier period is not observed or
        zero.
    """
    wide = to_wide(table, value=value, by=by)
    if by is not None:
        wide[total_label] = wide.sum(axis=1)
    else:
        wide = wide.rename(columns={"total": total_label})
    previous, year_ago = wide.shift(1), wide.shift(YEAR_LAG[freq])

    def long(frame: pd.DataFrame, name: str) -> pd.Series:
        return frame.rename_axis(columns="group").stack(future_stack=True).rename(name)

    out = pd.concat([long(wide, "value"), long(previous, "previous"),
                     long(year_ago, "year_ago")], axis=1).reset_index()
    out["vs_previous"] = out["value"] / out["previous"].where(out["previous"] > 0) - 1
    out["vs_year_ago"] = out["value"] / out["year_ago"].where(out["year_ago"] > 0) - 1
    return out[["period", "group", "value", "previous", "vs_previous", "year_ago",
                "vs_year_ago"]]


def latest_growth(growth_table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the last complete period of :func:`growth`, largest value first."""
    last = growth_table["period"].max()
    return (growth_table[growth_table["period"] == last]
            .sort_values("value", ascending=False, ignore_index=True))


def top_movers(table: pd.DataFrame, *, by: str | Sequence[str], value: str = "revenue",
               freq: str = "W", window: int = 13, n: int = 10) -> pd.DataFrame:
    """Groups whose demand changed most: the last ``window`` periods against a year before.

    When there is less than a year plus ``window`` periods of complete data, the comparison is
    with the ``window`` periods just before.

    Parameters
    ----------
    table : DataFrame
        From :func:`aggregate` (weekly: ``window=13`` is a quarter).
    by : str or list of str
        Group columns, e.g. ``["category", "product_id"]``.
    value : str
        Measure compared.
    freq : {"W", "M"}
        Frequency of ``table``.
    window : int
        Periods summed on each side.
    n : int
        Risers and fallers returned (each).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``before``, ``after``, ``change`` (after - before, units of
        ``value``), ``change_pct`` (relative, NaN when before is 0), ``direction``
        ("up"/"down") and ``compared_with`` (words); risers first, then fallers.
    """
    keys = _as_list(by)
    t = table[table["complete"]]
    periods = np.sort(t["period"].unique())
    if len(periods) < 2 * window:
        return pd.DataFrame(columns=[*keys, "before", "after", "change", "change_pct",
                                     "direction", "compared_with"])
    lag = YEAR_LAG[freq]
    after_p = periods[-window:]
    if len(periods) >= lag + window:
        before_p = periods[-window - lag:-lag]
        words = f"same {'weeks' if freq == 'W' else 'months'} a year before"
    else:
        before_p, words = periods[-2 * window:-window], "the periods just before"
    sums = pd.DataFrame({
        "before": t[t["period"].isin(before_p)].groupby(keys, observed=True)[value].sum(),
        "after": t[t["period"].isin(after_p)].groupby(keys, observed=True)[value].sum(),
    }).fillna(0.0)
    sums["change"] = sums["after"] - sums["before"]
    sums["change_pct"] = sums["change"] / sums["before"].where(sums["before"] > 0)
    up = sums[sums["change"] > 0].nlargest(n, "change").assign(direction="up")
    down = sums[sums["change"] < 0].nsmallest(n, "change").assign(direction="down")
    return pd.concat([up, down]).assign(compared_with=words).reset_index()
