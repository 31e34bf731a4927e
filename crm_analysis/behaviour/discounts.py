"""Discount use per period: the one behaviour scan of the order lines, on any engine.

The order lines are the largest table of a CRM export (several per order), so this scan sits
behind the engine seam (:mod:`crm_analysis.engines`): on pandas the lines are a
DataFrame reduced with numpy; on DuckDB or Spark they may be a Parquet/CSV path (e.g. from
:func:`crm_analysis.io.scan_table`) that the engine scans, so they never enter pandas. Both
reduce the lines to three numbers per order (any discounted line, list value, discount given)
and those to sums per period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.engines import (
    DIALECTS,
    EngineConfig,
    Table,
    as_engine,
    ident,
    run_tables_query,
    source_columns,
)
from crm_analysis.keys import positions

__all__ = ["discount_use", "discount_use_sql"]

ITEM_COLUMNS = ["order_id", "quantity", "unit_price"]


def discount_use(orders: pd.DataFrame, order_items: object, *, freq: str = "M",
                 engine: EngineConfig | str | None = None) -> pd.DataFrame:
    """Share of orders with a discounted line and the average discount, per period.

    Parameters
    ----------
    orders : DataFrame
        ``order_id``, ``order_date``: the orders to consider (every dated one is counted, with
        or without lines; a repeated ``order_id`` counts once, on its first row).
    order_items : DataFrame, path/glob of Parquet or CSV files, or Spark DataFrame
        ``order_id``, ``quantity``, ``unit_price`` (list price per unit), optional
        ``discount`` (fraction 0..1; missing means none). Lines of other orders are ignored.
        Paths and Spark DataFrames need ``engine="duckdb"`` or ``"spark"``.
    freq : str
        Pandas period alias of the periods (``"M"`` months).
    engine : EngineConfig or str, optional
        Where the lines are scanned (:class:`crm_analysis.engines.EngineConfig` or an engine
        name); default pandas.

    Returns
    -------
    DataFrame
        ``period`` (period start, Timestamp), ``orders``, ``discounted_orders``,
        ``share_discounted`` (0..1), ``discount_value_share`` (discount given / list value of
        the lines, 0..1; missing where the period's lines have no list value). The same on
        every engine (sums of floats to rounding).
    """
    engine = as_engine(engine)
    if orders["order_date"].isna().any():
        orders = orders[orders["order_date"].notna()]
    if not orders["order_id"].is_unique:
        orders = orders.drop_duplicates("order_id")
    period_codes, periods = pd.factorize(
        orders["order_date"].dt.to_period(freq).dt.to_timestamp(), sort=True)
    if engine.name == "pandas":
        if not isinstance(order_items, pd.DataFrame):
            raise TypeError("engine='pandas' takes the order lines as a DataFrame, got "
                            f"{type(order_items).__name__}; use engine='duckdb' for files")
        sums = _per_period_numpy(orders["order_id"], period_codes, len(periods), order_items)
    else:
        keyed = pd.DataFrame({"order_id": orders["order_id"].to_numpy(),
                              "pcode": period_codes.astype(np.int64)})
        has_discount = "discount" in source_columns(order_items)
        needed = ITEM_COLUMNS + (["discount"] if has_discount else [])
        raw = run_tables_query(
            {"orders": Table(keyed, ["order_id", "pcode"]), "items": Table(order_items, needed)},
            engine, lambda views, dialect: discount_use_sql(views, dialect, has_discount))
        sums = (raw.set_index("pcode").reindex(np.arange(len(periods)))
                .dropna(subset=["orders"]))
    out = pd.DataFrame({
        "period": periods[sums.index.to_numpy(np.int64)],
        "orders": sums["orders"].to_numpy(np.int64),
        "discounted_orders": sums["discounted_orders"].to_numpy(np.int64),
    })
    list_value = sums["list_value"].to_numpy(float)
    out["share_discounted"] = out["discounted_orders"] / out["orders"]
    out["discount_value_share"] = (sums["discount_value"].to_numpy(float)
                                   / np.where(list_value > 0, list_value, np.nan))
    return out


def _per_period_numpy(order_ids: pd.Series, period_codes: np.ndarray, n_periods: int,
                      items: pd.DataFrame) -> pd.DataFrame:
    """Orders, discounted orders, list value and discount value per period code (pandas)."""
    pos = positions(items["order_id"], order_ids)  # each line's order (Arrow lookup)
    keep = pos >= 0
    pos = pos[keep]
    disc = (items["discount"].fillna(0.0).to_numpy(float)[keep]
            if "discount" in items else np.zeros(len(pos)))
    value = np.nan_to_num(items["quantity"].to_numpy(float)[keep]
                          * items["unit_price"].to_numpy(float)[keep])
    n = len(order_ids)
    discounted = np.bincount(pos, weights=(disc > 0).astype(float), minlength=n) > 0
    per_order = {"list_value": np.bincount(pos, weights=value, minlength=n),
                 "discount_value": np.bincount(pos, weights=np.nan_to_num(value * disc),
                                               minlength=n)}
    count = np.bincount(period_codes, minlength=n_periods)
    frame = pd.DataFrame({
        "orders": count,
        "discounted_orders": np.bincount(period_codes, weights=discounted, minlength=n_periods),
        **{k: np.bincount(period_codes, weights=v, minlength=n_periods)
           for k, v in per_order.items()},
    })
    return frame[count > 0]


def discount_use_sql(views: dict[str, str], dialect: str, has_discount: bool) -> str:
    """SQL of :func:`discount_use`: lines to orders, orders to periods.

    ``views`` names ``orders`` (``order_id``, ``pcode``: the period's code) and ``items``; the
    result has ``pcode, orders, discounted_orders, list_value, discount_value``. A line's list
    value is ``quantity * unit_price`` (missing: 0), its discount ``list value * discount``.
    """
    d = DIALECTS[dialect]
    q = lambda name: ident(name, d)  # noqa: E731
    value = f"CAST({q('quantity')} AS {d.double}) * CAST({q('unit_price')} AS {d.double})"
    if has_discount:
        disc = f"COALESCE(CAST({q('discount')} AS {d.double}), 0)"
        flag = f"MAX(CASE WHEN {disc} > 0 THEN 1 ELSE 0 END)"
        given = f"SUM({value} * {disc})"
    else:
        flag, given = "0", "0.0"
    return f"""WITH per_order AS (
  SELECT {q('order_id')} AS oid, {flag} AS disc, SUM({value}) AS list_value,
         {given} AS discount_value
  FROM {views["items"]}
  WHERE {q('order_id')} IS NOT NULL
  GROUP BY {q('order_id')}
)
SELECT o.{q('pcode')} AS pcode, COUNT(*) AS orders,
       CAST(SUM(COALESCE(l.disc, 0)) AS BIGINT) AS discounted_orders,
       SUM(COALESCE(l.list_value, 0)) AS list_value,
       SUM(COALESCE(l.discount_value, 0)) AS discount_value
FROM {views["orders"]} o LEFT JOIN per_order l ON o.{q('order_id')} = l.oid
GROUP BY o.{q('pcode')}
ORDER BY pcode"""
