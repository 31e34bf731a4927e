"""The demand scans behind the engine seam: per-day demand, item pairs, group shares.

Demand reads order lines: the orders joined to their items and the items' categories
(:func:`~crm_analysis.demand.demand_lines`). On the pandas engine that fact table is built once
and reduced with numpy. On DuckDB and Spark the same fact table is a SQL common table
expression (:func:`lines_sql`) over the three inputs — DataFrames, Parquet/CSV files or Spark
DataFrames — and each view is one query on it that returns a small table:

- :meth:`DemandScan.daily`: revenue, distinct orders and units per day; per day and category;
  per day, category and product (one ``GROUPING SETS`` query). Weekly and monthly aggregates,
  growth, movers, the weekday profile and the headline figures are sums of these.
- :meth:`DemandScan.pairs`: products (or categories) bought together: item counts, pair counts
  and the number of baskets. Items in fewer orders than the pair threshold are dropped before
  pairing (a pair is never more frequent than either item), then the distinct (order, item)
  rows are joined with themselves.
- :meth:`DemandScan.shares`: demand per customer group and category, and buyers per group.

Conventions are those of :func:`~crm_analysis.demand.demand_lines`: cancelled orders and orders
after the snapshot day are left out, guest orders kept; a line's revenue is quantity x unit
price x (1 - discount); orders without lines count with their amount under :data:`UNKNOWN`;
``orders.order_id`` and ``products.product_id`` are unique (as after cleaning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.columns import CONTRACT_NAMES, require_columns
from crm_analysis.demand.aggregate import ALL, UNKNOWN, demand_lines
from crm_analysis.demand.baskets import item_pairs, pair_table
from crm_analysis.demand.daily import DailyDemand, daily_demand, from_grouping_sets
from crm_analysis.demand.needs import category_shares, shares_table
from crm_analysis.engines import (
    DIALECTS,
    EngineConfig,
    Table,
    as_engine,
    ident,
    run_tables_query,
    source_columns,
)

__all__ = ["DemandScan", "lines_sql"]

ORDER_COLUMNS = ["customer_id", "order_date"]
ITEM_COLUMNS = ["order_id", "product_id", "quantity", "unit_price"]
_ROW_KEY = {"duckdb": "row_number() OVER ()", "spark": "monotonically_increasing_id()"}
"""A distinct BIGINT per row. Not stable across evaluations (Spark inlines a CTE at each
reference): the per-day query reads the lines once; pairs join on the order id itself."""


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def lines_sql(views: dict[str, str], dialect: str, *, columns: dict[str, list[str]],
              as_of: pd.Timestamp | None) -> str:
    """The demand fact table as two SQL common table expressions, ``o`` and ``l``.

    Parameters
    ----------
    views : dict
        Table expressions of ``orders`` and, when there, ``order_items`` and ``products``.
    dialect : {"duckdb", "spark"}
        Key of :data:`~crm_analysis.engines.DIALECTS`.
    columns : dict
        Column names of each input (optional columns: ``order_id``, ``status``,
        ``discount``, ``category``).
    as_of : Timestamp, optional
        Last day kept (inclusive).

    Returns
    -------
    str
        ``o AS (...), l AS (...)`` to follow ``WITH``; ``l`` has one row per line: ``oid``
        (a BIGINT key per order, cheap to count, valid within one evaluation of ``l``: use it
        only where ``l`` is read once), ``ref`` (the order id, for joins across several reads
        of ``l``; both NULL without an ``order_id`` column), ``cid``, ``day_n``
        (days since 1970-01-01), ``pid`` (product id, NULL without items), ``cat``
        (category), ``qty`` (units, DOUBLE) and ``revenue`` (DOUBLE).
    """
    d = DIALECTS[dialect]

    def c(name: str, alias: str = "") -> str:
        return f"{alias}.{ident(name, d)}" if alias else ident(name, d)

    orders = columns["orders"]
    date = f"CAST({c('order_date')} AS TIMESTAMP)"
    keep = [f"{c('order_date')} IS NOT NULL"]
    if as_of is not None:
        end = (pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)).strftime(
            "%Y-%m-%d %H:%M:%S")
        keep.append(f"{date} < TIMESTAMP '{end}'")
    if "status" in orders:
        keep.append(f"({c('status')} IS NULL OR {c('status')} <> 'cancelled')")
    real = f"CAST({{}} AS {d.double})"
    has_id = "order_id" in orders
    ids = f"{c('order_id')} AS id, " if has_id else "NULL AS id, "
    key = _ROW_KEY[dialect] if has_id else "NULL"  # a BIGINT per order: cheap to count
    amount = real.format(c("amount") if "amount" in orders else "NULL")  # NULL: a visit log
    o = (f"o AS (\n  SELECT {ids}{key} AS oid, {c('customer_id')} AS cid, "
         f"{d.day_number.format(x=date)} AS day_n, {amount} AS amount\n"
         f"  FROM {views['orders']}\n  WHERE {' AND '.join(keep)}\n)")
    if "order_items" not in views:
        return (o + ",\nl AS (\n  SELECT oid, id AS ref, cid, day_n, NULL AS pid, "
                f"{_text(ALL)} AS cat, CAST(NULL AS {d.double}) AS qty, amount AS revenue\n"
                "  FROM o\n)")
    items = columns["order_items"]
    quantity = real.format(c("quantity", "i"))
    discount = (f"(1 - COALESCE({real.format(c('discount', 'i'))}, 0))"
                if "discount" in items else "1")
    categories = "products" in views and "category" in columns.get("products", [])
    if categories:
        category = f"COALESCE(p.cat, {_text(UNKNOWN)})"
        join = (f"\n  LEFT JOIN (SELECT {c('product_id')} AS pid, "
                f"CAST(MIN({c('category')}) AS {d.text}) AS cat\n"
                f"             FROM {views['products']} GROUP BY {c('product_id')}) AS p\n"
                f"    ON {c('product_id', 'i')} = p.pid")
    else:
        category, join = _text(ALL), ""
    bare = f"{c('order_id', 'i')} IS NULL"  # an order without lines: its amount, Unknown
    return (o + ",\nl AS (\n"
            f"  SELECT o.oid, o.id AS ref, o.cid, o.day_n, {c('product_id', 'i')} AS pid,\n"
            f"         CASE WHEN {bare} THEN {_text(UNKNOWN)} ELSE {category} END AS cat,\n"
            f"         {quantity} AS qty,\n"
            f"         CASE WHEN {bare} THEN o.amount\n"
            f"              ELSE {quantity} * {real.format(c('unit_price', 'i'))} * {discount}"
            " END AS revenue\n"
            f"  FROM o LEFT JOIN {views['order_items']} AS i ON {c('order_id', 'i')} = o.id"
            f"{join}\n  WHERE NOT {bare} OR o.amount > 0\n)")


@dataclass
class DemandScan:
    """The demand inputs and the engine that scans them; each view is one scan.

    Parameters
    ----------
    orders : DataFrame, path/glob or Spark DataFrame
        ``customer_id``, ``order_date``; optional ``amount`` (currency; without it revenue is
        missing and demand is counted in orders), ``order_id``, ``status``.
    order_items, products : same kinds, optional
        ``order_id``, ``product_id``, ``quantity``, ``unit_price``, optional ``discount``;
        ``product_id``, optional ``category``.
    as_of : date-like, optional
        Last day analysed (inclusive).
    engine : EngineConfig or str, optional
        The engine and its limits (:class:`crm_analysis.engines.EngineConfig` or an engine
        name); default pandas. The pandas engine needs DataFrames and builds the line table
        once (kept while the scan lives).
    """

    orders: Any
    order_items: Any = None
    products: Any = None
    as_of: str | pd.Timestamp | None = None
    engine: EngineConfig | str | None = None
    _lines: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _daily: DailyDemand | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.engine = as_engine(self.engine)
        for name, needed in (("orders", ORDER_COLUMNS), ("order_items", ITEM_COLUMNS),
                             ("products", ["product_id"])):
            source = getattr(self, name)
            if source is not None:  # files: only their schema is read
                require_columns(source_columns(source), needed, table=name,
                                hint=CONTRACT_NAMES)
        if self.as_of is not None:
            self.as_of = pd.Timestamp(self.as_of).normalize()
        if self.order_items is None:
            self.products = None

    @property
    def has_amounts(self) -> bool:
        """Whether the orders carry money (an ``amount`` column); a visit log has none."""
        return "amount" in source_columns(self.orders)

    @property
    def has_categories(self) -> bool:
        """Whether the products table (with order items) has a ``category`` column."""
        return self.products is not None and "category" in source_columns(self.products)

    # -- the pandas engine: the line table, built once ----------------------------------------
    @property
    def lines(self) -> pd.DataFrame:
        """The line-level fact table (pandas engine only)."""
        if self.engine.name != "pandas":
            raise ValueError(f"the line table is built on the pandas engine only, not on "
                             f"{self.engine.name!r}")
        if self._lines is None:
            for name in ("orders", "order_items", "products"):
                value = getattr(self, name)
                if value is not None and not isinstance(value, pd.DataFrame):
                    raise TypeError(f"engine='pandas' takes DataFrames; {name} is a "
                                    f"{type(value).__name__} (read it first, or use duckdb)")
            self._lines = demand_lines(self.orders, self.order_items, self.products,
                                       as_of=self.as_of)
        return self._lines

    def release(self) -> None:
        """Drop the cached line table (the pandas engine's one large object)."""
        self._lines = None

    # -- SQL engines ------------------------------------------------------------------------------
    def _inputs(self) -> tuple[dict[str, Table], dict[str, list[str]]]:
        tables, columns = {}, {}
        for name, needed, date in (("orders", ORDER_COLUMNS, "order_date"),
                                   ("order_items", ITEM_COLUMNS, None),
                                   ("products", ["product_id"], None)):
            source = getattr(self, name)
            if source is None:
                continue
            columns[name] = source_columns(source)
            optional = {"orders": ["order_id", "amount", "status"], "order_items": ["discount"],
                        "products": ["category"]}[name]
            read = needed + [col for col in optional if col in columns[name]]
            tables[name] = Table(source[read] if isinstance(source, pd.DataFrame) else source,
                                 read, date)
        if "order_items" in tables and "order_id" not in columns["orders"]:
            raise ValueError(f"orders lack column 'order_id' (found {columns['orders']}): "
                             "order_items cannot be joined to them")
        return tables, columns

    def _query(self, body: Any, extra: dict[str, Table] | None = None) -> pd.DataFrame:
        tables, columns = self._inputs()
        tables.update(extra or {})

        def make_sql(views: dict[str, str], dialect: str) -> str:
            return ("WITH " + lines_sql(views, dialect, columns=columns,
                                        as_of=self.as_of) + body(views, dialect))
        return run_tables_query(tables, self.engine, make_sql)  # type: ignore[arg-type]

    @property
    def _counts_orders(self) -> str:
        return "COUNT(DISTINCT oid)" if "order_id" in source_columns(self.orders) else "COUNT(*)"

    # -- the views --------------------------------------------------------------------------------
    def daily(self) -> DailyDemand:
        """Revenue, distinct orders and units per day, per category and per product."""
        if self._daily is None:
            if self.engine.name == "pandas":
                self._daily = daily_demand(self.lines)
            else:
                count = self._counts_orders
                raw = self._query(lambda views, dialect: f"""
SELECT day_n, cat, pid, GROUPING(cat) AS g_cat, GROUPING(pid) AS g_pid,
       SUM(revenue) AS revenue, {count} AS orders, SUM(qty) AS units
FROM l
GROUP BY GROUPING SETS ((day_n), (day_n, cat), (day_n, cat, pid))""")
                total = raw["g_cat"].to_numpy(np.int64) == 1
                self._daily = from_grouping_sets(
                    raw, has_units=bool(raw.loc[total, "units"].notna().any()))
        return self._daily

    def pairs(self, *, item: str = "product_id", min_support: float = 0.0005,
              min_count: int = 10, top: int | None = None) -> pd.DataFrame:
        """Items bought together (:func:`~crm_analysis.demand.item_pairs`) on the engine.

        Parameters
        ----------
        item : {"product_id", "category"}
            What is paired.
        min_support, min_count, top
            As for :func:`~crm_analysis.demand.item_pairs`.
        """
        if self.engine.name == "pandas":
            return item_pairs(self.lines, item=item, min_support=min_support,
                              min_count=min_count, top=top)
        column = {"product_id": "pid", "category": "cat"}[item]
        raw = self._query(lambda views, dialect: f""",
b AS (SELECT DISTINCT ref, {column} AS item FROM l WHERE {column} IS NOT NULL),
n AS (SELECT COUNT(DISTINCT ref) AS n FROM b),
c AS (SELECT item, COUNT(*) AS cnt FROM b GROUP BY item),
f AS (SELECT c.item, c.cnt FROM c CROSS JOIN n
      WHERE c.cnt >= GREATEST({int(min_count)}, {float(min_support)!r} * n.n)),
bf AS (SELECT b.ref, b.item FROM b JOIN f ON b.item = f.item),
pc AS (SELECT x.item AS item_a, y.item AS item_b, COUNT(*) AS cnt
       FROM bf AS x JOIN bf AS y ON x.ref = y.ref AND x.item < y.item
       GROUP BY x.item, y.item)
SELECT 'pair' AS kind, pc.item_a, pc.item_b, pc.cnt FROM pc CROSS JOIN n
WHERE pc.cnt >= GREATEST({int(min_count)}, {float(min_support)!r} * n.n)
UNION ALL SELECT 'item', item, NULL, cnt FROM f
UNION ALL SELECT 'n', NULL, NULL, n FROM n""")
        kind = raw["kind"].to_numpy(dtype=object)
        n_row = raw.loc[kind == "n", "cnt"]
        n = int(n_row.iloc[0]) if len(n_row) else 0
        pairs = raw.loc[kind == "pair"]
        counts = raw.loc[kind == "item"].set_index("item_a")["cnt"]
        return pair_table(pairs["item_a"].to_numpy(), pairs["item_b"].to_numpy(),
                          counts.reindex(pairs["item_a"]).to_numpy(),
                          counts.reindex(pairs["item_b"]).to_numpy(),
                          pairs["cnt"].to_numpy(), n, top=top)

    def shares(self, groups: pd.DataFrame, *, by: str, value: str = "revenue") -> pd.DataFrame:
        """Category shares per customer group (:func:`~crm_analysis.demand.category_shares`).

        Parameters
        ----------
        groups : DataFrame
            One row per customer: ``customer_id`` and the group column ``by`` (the first row
            of a repeated customer counts).
        by : str
            Group column.
        value : {"revenue", "quantity"}
            Measure shared out.
        """
        if self.engine.name == "pandas":
            return category_shares(self.lines, groups, by=by, value=value)
        measure = {"revenue": "revenue", "quantity": "qty"}[value]
        mapping = (groups.drop_duplicates("customer_id")[["customer_id", by]]
                   .rename(columns={by: "grp"}))
        extra = {"groups": Table(mapping, ["customer_id", "grp"])}
        raw = self._query(lambda views, dialect: f""",
g AS (SELECT {ident('customer_id', DIALECTS[dialect])} AS cid, grp FROM {views['groups']}
      WHERE grp IS NOT NULL),
j AS (SELECT g.grp, l.cat, l.{measure} AS val, l.cid FROM l JOIN g ON l.cid = g.cid)
SELECT grp, cat, GROUPING(cat) AS g_cat, SUM(val) AS value, COUNT(DISTINCT cid) AS customers
FROM j
GROUP BY GROUPING SETS ((grp, cat), (grp))""", extra)
        rolled = raw["g_cat"].to_numpy(np.int64) == 1
        totals = raw.loc[~rolled].rename(columns={"grp": "group", "cat": "category"})
        buyers = raw.loc[rolled].set_index("grp")["customers"]
        daily = self.daily().category
        overall = daily.groupby("category", observed=True)[
            "revenue" if value == "revenue" else "units"].sum()
        overall.index = overall.index.astype(str)
        totals = totals.assign(category=totals["category"].astype(str))
        return shares_table(totals, buyers, overall, groups[by].dtype)
