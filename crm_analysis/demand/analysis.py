"""One call that runs the demand analysis on whatever tables exist (what notebook 02 shows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crm_analysis.demand.aggregate import ALL, aggregate, growth, to_wide, top_movers
from crm_analysis.demand.daily import DailyDemand
from crm_analysis.demand.forecast import HarmonicForecaster
from crm_analysis.demand.needs import ticket_topics, tickets_per_orders
from crm_analysis.demand.scan import DemandScan
from crm_analysis.demand.seasonality import Decomposition, decompose, weekday_profile
from crm_analysis.demand.selection import Backtest, backtest, forecast
from crm_analysis.engines import EngineConfig
from crm_analysis.limits import NotEnoughData

TOTAL = "All categories"
"""Series name of total revenue when there are categories."""

ALL_ORDERS = "All orders"
"""Series name of total revenue without categories (growth table)."""

GROUPINGS = {"segment": ("customer_value", "RFM segment"),
             "region": ("customers", "region"),
             "acquisition_channel": ("customers", "acquisition channel")}
"""Customer groupings of the preference view: column -> (table, words)."""


@dataclass
class DemandAnalysis:
    """Everything notebook 02 shows; tables are pandas DataFrames, None when skipped.

    Attributes
    ----------
    as_of : Timestamp
        Last day analysed.
    tables : list of str
        Input tables used.
    skipped : list of str
        One sentence per section skipped for lack of a table.
    daily : DailyDemand
        Revenue, orders and units per day, by category and product (the one reduction of the
        order lines every time view reads; :class:`~crm_analysis.demand.DemandScan`).
    by : str or None
        ``"category"`` when categories exist, else None (demand overall).
    weekly, monthly : DataFrame
        :func:`aggregate` per week and month, by category when there are categories.
    weekly_total, monthly_total : DataFrame
        The same, overall.
    growth : DataFrame
        :func:`growth` of monthly revenue (with the total row).
    movers : DataFrame or None
        :func:`top_movers` of product revenue (None without items).
    weekday : DataFrame
        :func:`weekday_profile` of revenue.
    decomposition : Decomposition or None
        STL of total weekly revenue (None with less than two years).
    forecast : DataFrame
        Weekly revenue forecasts per series (categories and the total), each by the method its
        backtest chose, with ranges calibrated on that backtest (empty when the history is too
        short to check a forecast).
    backtest, backtest_total : Backtest or None
        Rolling-origin backtests of rules and models on the category series and on the total.
    pairs, category_pairs : DataFrame or None
        :func:`item_pairs` of products (top by lift) and of categories.
    preferences : dict
        Grouping column -> :func:`category_shares` (only the groupings that could be built).
    ticket_topics, ticket_rates : DataFrame or None
        :func:`ticket_topics` and :func:`tickets_per_orders`.
    measure : {"revenue", "orders"}
        What growth, the weekday profile, the decomposition and the forecast count: revenue
        (currency), or orders for a log without amounts (visits, bookings).
    """

    as_of: pd.Timestamp
    tables: list[str]
    skipped: list[str]
    daily: DailyDemand
    by: str | None
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    weekly_total: pd.DataFrame
    monthly_total: pd.DataFrame
    growth: pd.DataFrame
    movers: pd.DataFrame | None
    weekday: pd.DataFrame
    decomposition: Decomposition | None
    forecast: pd.DataFrame
    backtest: Backtest | None
    backtest_total: Backtest | None
    pairs: pd.DataFrame | None = None
    category_pairs: pd.DataFrame | None = None
    preferences: dict[str, pd.DataFrame] = field(default_factory=dict)
    ticket_topics: pd.DataFrame | None = None
    ticket_rates: pd.DataFrame | None = None
    measure: str = "revenue"

    @property
    def categories(self) -> list[str]:
        """Category names (``["All products"]`` without categories)."""
        return [str(c) for c in self.weekly_wide().columns] if self.by else [ALL]

    def weekly_wide(self, value: str | None = None) -> pd.DataFrame:
        """Complete weeks as rows, one column per category (or ``"total"``); ``value``
        defaults to :attr:`measure`."""
        return to_wide(self.weekly, value=value or self.measure, by=self.by)

    def weekly_series(self, value: str | None = None) -> pd.DataFrame:
        """The forecast series: categories plus the total when there are categories
        (``value`` defaults to :attr:`measure`)."""
        value = value or self.measure
        wide = self.weekly_wide(value)
        if self.by is None:
            return wide.rename(columns={"total": ALL})
        return wide.assign(**{TOTAL: to_wide(self.weekly_total, value=value)["total"]})


def skipped_sections(available: set[str] | list[str], measure: str = "revenue") -> list[str]:
    """Sentences naming each section that cannot run for lack of a table (``measure``:
    ``"orders"`` for a log without amounts)."""
    have = set(available)
    notes = []
    if measure != "revenue":
        notes.append("Revenue is skipped: the orders carry no amounts, so demand is counted "
                     "in orders.")
    if "order_items" not in have:
        notes.append("Units, categories, product movers and products bought together are "
                     "skipped: there is no order items table, so demand is {} overall."
                     .format("orders and revenue" if measure == "revenue" else "orders"))
    elif "products" not in have:
        notes.append("Categories are skipped: there is no products table, so demand is shown "
                     "overall and per product.")
    if {"order_items", "products"} <= have:
        if "customers" not in have:
            notes.append("Category preferences by region and acquisition channel are skipped: "
                         "there is no customers table.")
        if "customer_value" not in have:
            notes.append("Category preferences by RFM segment are skipped: the customer value "
                         "report (notebook 03) has not written its segments yet.")
    if "service_tickets" not in have:
        notes.append("Ticket topics are skipped: there is no service tickets table.")
    return notes


def analyse(tables: Mapping[str, Any], *, as_of: str | pd.Timestamp,
            forecast_weeks: int = 12, backtest_origins: int = 4, top_n: int = 10,
            min_support: float = 0.0005, model: HarmonicForecaster | None = None,
            engine: EngineConfig | str | None = None) -> DemandAnalysis:
    """Run every demand view the tables allow.

    Parameters
    ----------
    tables : mapping
        Processed tables by name; ``orders`` is required, the others optional
        (``order_items``, ``products``, ``customers``, ``service_tickets``, ``customer_value``).
        ``orders``, ``order_items`` and ``products`` may also be Parquet/CSV paths or Spark
        DataFrames on the SQL engines; the others are pandas DataFrames (small tables).
    as_of : date-like
        Last day analysed (later orders and tickets are ignored).
    forecast_weeks : int
        Forecast horizon and backtest horizon (weeks).
    backtest_origins : int
        Rolling forecast origins of the backtest.
    top_n : int
        Rows of the top-movers and top-pairs tables.
    min_support : float
        Least share of orders for a product pair.
    model : HarmonicForecaster, optional
        Settings of the harmonic model (one of the candidates of the forecast).
    engine : EngineConfig or str, optional
        Engine of the scans of order lines (:class:`crm_analysis.engines.EngineConfig` or an
        engine name; default pandas); every engine gives the same tables.

    Returns
    -------
    DemandAnalysis
    """
    snap = pd.Timestamp(as_of).normalize()
    items = tables.get("order_items")
    products = tables.get("products") if items is not None else None
    scan = DemandScan(tables["orders"], items, products, as_of=snap, engine=engine)
    daily = scan.daily()
    measure = "revenue" if scan.has_amounts else "orders"
    skipped = skipped_sections(tables, measure)
    by = "category" if scan.has_categories else None
    if by is None and products is not None:
        skipped.append("Categories are skipped: the products table has no category column, so "
                       "demand is shown overall and per product.")
    agg = {"start": daily.first_day, "end": snap}
    weekly = aggregate(daily, freq="W", by=by, **agg)
    monthly = aggregate(daily, freq="M", by=by, **agg)
    weekly_total = weekly if by is None else aggregate(daily, freq="W", **agg)
    monthly_total = monthly if by is None else aggregate(daily, freq="M", **agg)
    movers = None
    if items is not None:
        keys = [by, "product_id"] if by else ["product_id"]
        movers = top_movers(aggregate(daily, freq="W", by=keys, **agg), by=keys, n=top_n)
    total = to_wide(weekly_total, value=measure)["total"]
    decomposition = decompose(total) if len(total) >= 104 else None
    result = DemandAnalysis(
        as_of=snap, tables=sorted(tables), skipped=skipped, daily=daily,
        by=by, weekly=weekly, monthly=monthly, weekly_total=weekly_total,
        monthly_total=monthly_total,
        growth=growth(monthly, value=measure, by=by, freq="M",
                      total_label=TOTAL if by else ALL_ORDERS),
        movers=movers, weekday=weekday_profile(daily.series(measure)),
        decomposition=decomposition, forecast=pd.DataFrame(), backtest=None,
        backtest_total=None, measure=measure)
    if items is not None:
        result.pairs = scan.pairs(min_support=min_support, top=top_n)
        if by is not None:
            result.category_pairs = scan.pairs(item="category", min_count=1, min_support=0.0)
    if by is not None:
        for column, (table, _) in GROUPINGS.items():
            frame = tables.get(table)
            if frame is not None and column in frame:
                result.preferences[column] = scan.shares(frame, by=column)
    scan.release()  # the line table is not needed by what follows
    series = result.weekly_series()
    cats = series.drop(columns=[TOTAL], errors="ignore")
    try:  # no forecast is shown that was not checked against the simple rules
        checked = backtest(series, forecast_weeks, backtest_origins, model=model)
    except NotEnoughData as exc:
        result.skipped.append(f"The forecast is skipped: {exc}.")
    else:
        result.forecast = forecast(series, forecast_weeks, checked, model=model)
        result.backtest = checked.only(cats.columns)
        if by is not None:
            result.backtest_total = checked.only([TOTAL])
    tickets = tables.get("service_tickets")
    if tickets is not None:
        tickets = tickets[tickets["opened_at"] < snap + pd.Timedelta(days=1)]
        result.ticket_topics = ticket_topics(tickets, as_of=snap)
        result.ticket_rates = tickets_per_orders(tickets, monthly_total)
    return result
