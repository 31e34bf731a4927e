"""The demand scans behind the engine seam agree on pandas, DuckDB and Spark.

A small synthetic set with the dirt demand has to handle — cancelled orders, guest orders,
orders without lines, lines without a product id, products without a category, items of
unknown products, missing discounts, orders after the snapshot, repeated products in an order —
is analysed by the pandas engine (the reference) and by DuckDB and Spark, from DataFrames and
from Parquet files. Per-day demand must be equal (integers exactly, sums to 1e-9 relative), and
so must the weekly and monthly aggregates, item pairs and group shares of ``analyse``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crm_analysis import demand, io
from crm_analysis.demand import DemandScan

SNAPSHOT = pd.Timestamp("2025-06-30")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    n_orders, n_lines = 3000, 7000
    days = rng.integers(0, 600, n_orders)  # 2024-01-01 .. ~2025-08-23: some after the snapshot
    customers = np.array([f"c{i:03d}" for i in rng.integers(0, 300, n_orders)], dtype=object)
    customers[rng.random(n_orders) < 0.05] = None  # guests
    orders = pd.DataFrame({
        "order_id": [f"o{i:05d}" for i in range(n_orders)],
        "customer_id": pd.array(customers, dtype="str"),
        "order_date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D")
                       + pd.to_timedelta(rng.integers(0, 86400, n_orders), "s")).as_unit("us"),
        "amount": np.round(rng.gamma(2.0, 30.0, n_orders), 2),
        "status": pd.array(rng.choice(["completed", "cancelled", None], n_orders,
                                      p=[0.9, 0.07, 0.03]), dtype="str"),
    })
    products = pd.DataFrame({"product_id": [f"p{i:02d}" for i in range(40)],
                             "category": pd.array([["toys", "food", "books", None][i % 4]
                                                   for i in range(40)], dtype="str")})
    with_lines = rng.random(n_orders) < 0.95  # ~5 % of orders have no lines
    line_order = rng.choice(np.flatnonzero(with_lines), n_lines)
    product = np.array([f"p{i:02d}" for i in rng.integers(0, 44, n_lines)], dtype=object)
    product[rng.random(n_lines) < 0.01] = None  # line without a product id; p40..p43 unknown
    discount = rng.choice([0.0, 0.1, np.nan], n_lines)
    items = pd.DataFrame({
        "order_id": orders["order_id"].to_numpy()[line_order],
        "product_id": pd.array(product, dtype="str"),
        "quantity": rng.integers(1, 4, n_lines).astype("float64"),
        "unit_price": np.round(rng.uniform(2, 50, n_lines), 2),
        "discount": discount,
    })
    customer_table = pd.DataFrame({
        "customer_id": pd.array([f"c{i:03d}" for i in range(300)], dtype="str"),
        "region": pd.Categorical(rng.choice(["north", "south", "west", None], 300),
                                 categories=["west", "south", "north"]),
    })
    return {"orders": orders, "order_items": items, "products": products,
            "customers": customer_table}


@pytest.fixture(scope="module")
def parquet_tables(tmp_path_factory, tables) -> dict[str, str]:
    """The line tables as processed tables (``io.write_table``: Spark must read them too)."""
    folder = tmp_path_factory.mktemp("demand")
    return {name: str(io.write_table(tables[name].assign(
        **({"order_date": tables[name]["order_date"].dt.as_unit("ns")}
           if name == "orders" else {})), name, folder))
        for name in ("orders", "order_items", "products")}


def _assert_daily_equal(got: demand.DailyDemand, want: demand.DailyDemand) -> None:
    assert got.has_units == want.has_units
    for level, keys in (("total", []), ("category", ["category"]),
                        ("product", ["category", "product_id"])):
        a, b = (getattr(x, level).assign(**{k: getattr(x, level)[k].astype(str)
                                            for k in keys})
                .sort_values(["day", *keys], ignore_index=True) for x in (got, want))
        assert len(a) == len(b), level
        for k in ["day", *keys, "orders"]:
            assert a[k].tolist() == b[k].tolist(), (level, k)
        for k in ("revenue", "units"):
            np.testing.assert_allclose(a[k], b[k], rtol=1e-9, err_msg=f"{level} {k}")


def test_daily_demand_by_hand():
    orders = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["A", None, "B"],
                           "order_date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00",
                                                         "2024-01-02 08:00"]),
                           "amount": [30.0, 10.0, 7.0]})
    items = pd.DataFrame({"order_id": ["1", "1", "1", "2"], "product_id": ["p", "q", "p", "p"],
                          "quantity": [1.0, 2.0, 1.0, 1.0], "unit_price": [10.0, 5.0, 10.0, 10.0]})
    products = pd.DataFrame({"product_id": ["p", "q"], "category": ["X", "X"]})
    daily = DemandScan(orders, items, products, engine="pandas").daily()
    assert daily.total["orders"].tolist() == [2, 1]  # order 3 has no lines: Unknown, amount
    assert daily.total["revenue"].tolist() == [40.0, 7.0]
    x = daily.category.set_index(["day", "category"]).loc[(pd.Timestamp("2024-01-01"), "X")]
    assert (x["orders"], x["units"]) == (2, 5.0)  # two orders, not three lines
    p = daily.product.set_index(["product_id"]).loc["p"]
    assert (p["orders"], p["revenue"]) == (2, 30.0)
    assert daily.orders == 3 and daily.revenue == 47.0 and daily.units == 5.0


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("source", ["frame", "parquet"])
def test_daily_demand_is_equal_on_every_engine(request, tables, parquet_tables, engine, source):
    if engine == "spark":
        request.getfixturevalue("spark")
    want = DemandScan(tables["orders"], tables["order_items"], tables["products"],
                      as_of=SNAPSHOT, engine="pandas").daily()
    src = tables if source == "frame" else parquet_tables
    got = DemandScan(src["orders"], src["order_items"], src["products"], as_of=SNAPSHOT,
                     engine=engine).daily()
    _assert_daily_equal(got, want)
    assert want.last_day <= SNAPSHOT and (want.category["category"] == "Unknown").any()


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_orders_alone_are_equal_on_every_engine(request, tables, engine):
    if engine == "spark":
        request.getfixturevalue("spark")
    orders = tables["orders"]
    want = DemandScan(orders, as_of=SNAPSHOT, engine="pandas").daily()
    got = DemandScan(orders, as_of=SNAPSHOT, engine=engine).daily()
    _assert_daily_equal(got, want)
    assert not got.has_units
    no_ids = orders.drop(columns="order_id")  # no order id: every row is one order
    _assert_daily_equal(DemandScan(no_ids, as_of=SNAPSHOT, engine=engine).daily(), want)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a, b = (x.assign(**{k: x[k].astype(str) for k in keys}).sort_values(keys, ignore_index=True)
            for x in (a, b))
    assert a[keys].equals(b[keys])
    for column in a.columns.difference(keys):
        if pd.api.types.is_float_dtype(a[column]):
            np.testing.assert_allclose(a[column], b[column], rtol=1e-9, err_msg=column)
        else:
            assert a[column].tolist() == b[column].tolist(), column


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_analyse_is_equal_on_every_engine(request, tables, parquet_tables, engine):
    if engine == "spark":
        request.getfixturevalue("spark")
    want = demand.analyse(tables, as_of=SNAPSHOT, engine="pandas", backtest_origins=2)
    inputs = {**tables, **parquet_tables}  # the line tables as files; customers a frame
    got = demand.analyse(inputs, as_of=SNAPSHOT, engine=engine, backtest_origins=2)
    assert got.by == want.by == "category"
    _frames_equal(got.weekly, want.weekly, ["period", "category"])
    _frames_equal(got.monthly_total, want.monthly_total, ["period"])
    _frames_equal(got.growth, want.growth, ["period", "group"])
    _frames_equal(got.weekday, want.weekday, ["weekday"])
    _frames_equal(got.movers, want.movers, ["product_id", "category", "direction"])
    _frames_equal(got.pairs, want.pairs, ["item_a", "item_b"])
    _frames_equal(got.category_pairs, want.category_pairs, ["item_a", "item_b"])
    _frames_equal(got.preferences["region"], want.preferences["region"], ["group", "category"])
    assert list(got.preferences["region"]["group"].cat.categories) == ["west", "south", "north"]
    if engine == "duckdb":  # many product pairs, ties in lift included
        pairs = [DemandScan(src["orders"], src["order_items"], as_of=SNAPSHOT,
                            engine=e).pairs(min_count=2, min_support=0.0)
                 for src, e in ((tables, "pandas"), (inputs, engine))]
        _frames_equal(pairs[1], pairs[0], ["item_a", "item_b"])
        assert len(pairs[0]) > 50
    np.testing.assert_allclose(got.forecast["forecast"], want.forecast["forecast"], rtol=1e-6)
    assert demand.key_findings(got) == demand.key_findings(want)


def test_scan_table_is_the_file(parquet_tables):
    folder = Path(parquet_tables["orders"]).parent
    assert io.scan_table("orders", folder) == Path(parquet_tables["orders"])
    with pytest.raises(FileNotFoundError, match="present: order_items, orders, products"):
        io.scan_table("customers", folder)


def test_pandas_engine_needs_frames(parquet_tables):
    scan = DemandScan(parquet_tables["orders"], engine="pandas")
    with pytest.raises(TypeError, match="DataFrames; orders"):
        scan.daily()
