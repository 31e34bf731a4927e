"""Demand per calendar day: the one reduction of order lines every time view reads.

Weeks and months are both unions of calendar days, and an order has exactly one day, so
revenue, units *and distinct orders* per week or month (per category or product) are sums of
the same per-day figures. :func:`daily_demand` reduces the line-level fact table
(:func:`~crm_analysis.demand.demand_lines`) to three small tables — per day; per day and
category; per day, category and product — and the SQL engines build the same three in one
``GROUPING SETS`` query (:mod:`crm_analysis.demand.scan`). Everything downstream (weekly and
monthly aggregates, growth, movers, the weekday profile, the headline figures) reads these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = {"total": [], "category": ["category"], "product": ["category", "product_id"]}
"""Group columns of each table of :class:`DailyDemand`."""

MEASURES = ("revenue", "orders", "units")


@dataclass(frozen=True)
class DailyDemand:
    """Revenue, distinct orders and units per calendar day, overall and by group.

    Attributes
    ----------
    total : DataFrame
        ``day`` (datetime64, midnight), ``revenue`` (currency), ``orders`` (distinct orders
        with a line that day, int64), ``units`` (sum of quantities, float64; 0 without items).
    category : DataFrame
        The same per ``day`` and ``category`` (categorical).
    product : DataFrame
        The same per ``day``, ``category`` and ``product_id`` (categoricals; a missing product
        id for orders without lines). ``orders`` counts orders with a line of the product.
    has_units : bool
        Whether any line has a quantity (False for an orders table alone): units are then
        reported as NaN, not 0.

    Only days and groups with sales have rows; :func:`~crm_analysis.demand.aggregate` fills the
    grid.
    """

    total: pd.DataFrame
    category: pd.DataFrame
    product: pd.DataFrame
    has_units: bool

    def level(self, keys: list[str]) -> pd.DataFrame:
        """The table that can be summed up to the group columns ``keys``.

        ``[]`` -> :attr:`total`, ``["category"]`` -> :attr:`category`, any set of keys that
        contains ``"product_id"`` -> :attr:`product` (a product has one category).
        """
        if not keys:
            return self.total
        if set(keys) == {"category"}:
            return self.category
        if set(keys) <= {"category", "product_id"}:
            return self.product
        raise ValueError(f"demand can be grouped by category and product_id, not {keys}")

    @property
    def first_day(self) -> pd.Timestamp:
        """The first day with a sale."""
        return pd.Timestamp(self.total["day"].min())

    @property
    def last_day(self) -> pd.Timestamp:
        """The last day with a sale."""
        return pd.Timestamp(self.total["day"].max())

    @property
    def orders(self) -> int:
        """Distinct orders in all (each order lies on one day)."""
        return int(self.total["orders"].sum())

    @property
    def revenue(self) -> float:
        """Revenue in all (currency)."""
        return float(self.total["revenue"].sum())

    @property
    def units(self) -> float | None:
        """Units in all; None without quantities."""
        return float(self.total["units"].sum()) if self.has_units else None

    def series(self, value: str = "revenue") -> pd.Series:
        """``value`` per calendar day from the first to the last day with a sale (zeros between)."""
        t = self.total
        if t.empty:
            return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="day"), name=value)
        days = pd.date_range(self.first_day, self.last_day, freq="D", name="day")
        return (t.set_index("day")[value].astype("float64")
                .reindex(days, fill_value=0.0).rename(value))


def _codes(values: pd.Series | pd.Categorical) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (missing values get their own code) and the labels, via the categories."""
    cat = pd.Categorical(values)
    codes = cat.codes.astype(np.int64)
    return codes, cat.categories


_DENSE_PAIRS = 200_000_000
"""Largest order x group space whose distinct pairs are marked in a boolean array (200 MB)."""


def _reduce(day: np.ndarray, order: np.ndarray, group: np.ndarray, revenue: np.ndarray,
            units: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per distinct (day, group): day, group code, revenue, distinct orders and units.

    ``order`` holds dense order codes (0..n-1), ``group`` int64 codes (>= -1). An order lies
    on one day, so the distinct (order, group) pairs counted per (day, group) are the
    distinct orders of the group that day. Pairs are marked in a boolean array when the
    order x group space is small enough (no hashing), else found by hashing.
    """
    span = int(group.max()) + 2 if len(group) else 1
    codes, uniques = pd.factorize(day * span + (group + 1), sort=True)
    n = len(uniques)
    pair = order * span + (group + 1)
    size = (int(order.max()) + 1) * span if len(order) else 0
    if size <= _DENSE_PAIRS:
        seen = np.zeros(size, dtype=bool)
        seen[pair] = True
        distinct = np.flatnonzero(seen)
        order_day = np.zeros(size // span, dtype=np.int64)
        order_day[order] = day  # every line of an order has the order's day
        pair_key = order_day[distinct // span] * span + distinct % span
        orders = np.bincount(np.searchsorted(uniques, pair_key), minlength=n)
    else:
        first = ~pd.Series(pair).duplicated().to_numpy()
        orders = np.bincount(codes, weights=first, minlength=n)
    return (uniques // span, uniques % span - 1,
            np.bincount(codes, weights=revenue, minlength=n),
            orders.astype(np.int64),
            np.bincount(codes, weights=units, minlength=n))


def daily_demand(lines: pd.DataFrame) -> DailyDemand:
    """Reduce the demand fact table to :class:`DailyDemand` (numpy; the pandas engine).

    Parameters
    ----------
    lines : DataFrame
        From :func:`~crm_analysis.demand.demand_lines`: ``order_id``, ``order_date``,
        ``category``, ``product_id``, ``quantity`` (units, NaN without items), ``revenue``
        (currency). Missing revenue or quantities count as 0.

    Returns
    -------
    DailyDemand
    """
    day = np.asarray(lines["order_date"], dtype="datetime64[D]").astype(np.int64)
    order = pd.factorize(lines["order_id"])[0].astype(np.int64)
    revenue = np.nan_to_num(lines["revenue"].to_numpy(dtype="float64"))
    quantity = lines["quantity"].to_numpy(dtype="float64")
    has_units = bool(np.isfinite(quantity).any())
    units = np.nan_to_num(quantity)
    cat_codes, cats = _codes(lines["category"])
    prod_codes, prods = _codes(lines["product_id"])
    groups = {"total": np.zeros(len(day), dtype=np.int64), "category": cat_codes,
              "product": cat_codes * (len(prods) + 1) + (prod_codes + 1)}
    tables = {}
    for name, group in groups.items():
        days, keys, rev, orders, unit = _reduce(day, order, group, revenue, units)
        frame = pd.DataFrame({"day": days.astype("datetime64[D]").astype("datetime64[ns]")})
        if name != "total":
            cat = keys if name == "category" else keys // (len(prods) + 1)
            frame["category"] = pd.Categorical.from_codes(cat, categories=cats)
        if name == "product":
            frame["product_id"] = pd.Categorical.from_codes(keys % (len(prods) + 1) - 1,
                                                            categories=prods)
        frame["revenue"], frame["orders"], frame["units"] = rev, orders, unit
        tables[name] = frame
    return DailyDemand(**tables, has_units=has_units)


def from_grouping_sets(raw: pd.DataFrame, *, has_units: bool) -> DailyDemand:
    """:class:`DailyDemand` from the rows of the SQL engines' ``GROUPING SETS`` query.

    Parameters
    ----------
    raw : DataFrame
        ``day_n`` (days since 1970-01-01), ``cat``, ``pid``, ``g_cat``, ``g_pid`` (1 when the
        column is rolled up), ``revenue``, ``orders``, ``units`` (NULL sums as missing).
    has_units : bool
        Whether any line has a quantity.
    """
    g_cat = raw["g_cat"].to_numpy(np.int64)
    g_pid = raw["g_pid"].to_numpy(np.int64)
    cats = pd.Categorical(raw["cat"]).categories
    pids = pd.Categorical(raw["pid"]).categories

    def part(mask: np.ndarray, keys: list[str]) -> pd.DataFrame:
        rows = raw.loc[mask].sort_values(["day_n", *[{"category": "cat", "product_id": "pid"}[k]
                                                     for k in keys]], ignore_index=True)
        frame = pd.DataFrame({"day": rows["day_n"].to_numpy(np.int64).astype("datetime64[D]")
                              .astype("datetime64[ns]")})
        if "category" in keys:
            frame["category"] = pd.Categorical(rows["cat"], categories=cats)
        if "product_id" in keys:
            frame["product_id"] = pd.Categorical(rows["pid"], categories=pids)
        frame["revenue"] = rows["revenue"].astype("float64").fillna(0.0).to_numpy()
        frame["orders"] = rows["orders"].to_numpy(np.int64)
        frame["units"] = rows["units"].astype("float64").fillna(0.0).to_numpy()
        return frame

    return DailyDemand(total=part((g_cat == 1) & (g_pid == 1), []),
                       category=part((g_cat == 0) & (g_pid == 1), ["category"]),
                       product=part((g_cat == 0) & (g_pid == 0), ["category", "product_id"]),
                       has_units=has_units)
