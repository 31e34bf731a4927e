"""behaviour.discount_use, the behaviour report's scan of the order lines, on every engine.

The pandas engine from DataFrames is the reference; DuckDB and Spark from DataFrames and from
Parquet files must give equal counts and sums to 1e-9 relative, on lines with the dirt real
exports carry: orders without lines, lines of unknown orders or without an order id, missing
discounts, quantities and prices, repeated order ids, orders without a date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crm_analysis import behaviour


@pytest.fixture(scope="module")
def shop() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    n_orders, n_lines = 3000, 8000
    dates = (np.datetime64("2023-01-01", "us")
             + rng.integers(0, 400 * 86400, n_orders).astype("timedelta64[s]"))
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(n_orders)],
                           "order_date": pd.to_datetime(dates).as_unit("us")})
    orders.loc[rng.random(n_orders) < 0.01, "order_date"] = pd.NaT
    orders = pd.concat([orders, orders.iloc[:20]], ignore_index=True)  # repeated ids
    line_order = rng.integers(0, int(n_orders * 1.05), n_lines)  # some point at no order
    ids = np.array([f"o{i}" for i in line_order], dtype=object)
    ids[rng.random(n_lines) < 0.01] = None
    discount = np.where(rng.random(n_lines) < 0.3, rng.choice([0.05, 0.1, 0.25], n_lines), 0.0)
    discount[rng.random(n_lines) < 0.05] = np.nan
    quantity = rng.integers(1, 5, n_lines).astype(float)
    quantity[rng.random(n_lines) < 0.01] = np.nan
    price = np.round(rng.gamma(2.0, 15.0, n_lines), 2)
    price[rng.random(n_lines) < 0.01] = np.nan
    items = pd.DataFrame({"order_id": pd.array(ids, dtype="str"), "quantity": quantity,
                          "unit_price": price, "discount": discount})
    return {"orders": orders, "items": items}


@pytest.fixture(scope="module")
def files(tmp_path_factory, shop) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("discounts")
    out = {}
    for name, cols in (("items", None), ("items_plain", ["order_id", "quantity", "unit_price"])):
        out[name] = str(folder / f"{name}.parquet")
        table = shop["items"] if cols is None else shop["items"][cols]
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), out[name])
    return out


def _assert_same(got: pd.DataFrame, ref: pd.DataFrame, what: str) -> None:
    assert list(got.columns) == list(ref.columns), what
    assert got["period"].tolist() == ref["period"].tolist(), what
    for col in ("orders", "discounted_orders"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=what)
    for col in ("share_discounted", "discount_value_share"):
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float),
                                   rtol=1e-9, err_msg=f"{what}: {col}")


def test_reference_counts_by_hand(shop) -> None:
    """The pandas result against a plain groupby of the same rules (first row per order id)."""
    orders = shop["orders"].dropna(subset=["order_date"]).drop_duplicates("order_id")
    items = shop["items"].dropna(subset=["order_id"])
    value = (items["quantity"] * items["unit_price"]).fillna(0.0)
    per_order = pd.DataFrame({
        "disc": items["discount"].fillna(0) > 0, "list_value": value,
        "given": value * items["discount"].fillna(0)}).groupby(items["order_id"]).agg(
        disc=("disc", "any"), list_value=("list_value", "sum"), given=("given", "sum"))
    joined = orders.join(per_order, on="order_id")
    joined["month"] = joined["order_date"].dt.to_period("M").dt.to_timestamp()
    expected = joined.groupby("month").agg(
        orders=("order_id", "size"), discounted=("disc", lambda s: int(s.fillna(False).sum())),
        list_value=("list_value", "sum"), given=("given", "sum"))
    out = behaviour.discount_use(shop["orders"], shop["items"], engine="pandas")
    assert out["orders"].sum() == len(orders) and out["discounted_orders"].sum() > 100
    assert out["period"].tolist() == expected.index.tolist()
    np.testing.assert_array_equal(out["orders"], expected["orders"])
    np.testing.assert_array_equal(out["discounted_orders"], expected["discounted"])
    np.testing.assert_allclose(out["discount_value_share"],
                               expected["given"] / expected["list_value"], rtol=1e-12)


@pytest.mark.parametrize("plain", [False, True], ids=["with discount", "no discount column"])
def test_engines_agree(request, shop, files, plain) -> None:
    items = shop["items"][["order_id", "quantity", "unit_price"]] if plain else shop["items"]
    ref = behaviour.discount_use(shop["orders"], items, engine="pandas")
    assert (ref["discounted_orders"].sum() == 0) == plain
    request.getfixturevalue("spark")
    path = files["items_plain" if plain else "items"]
    for engine in ("duckdb", "spark"):
        for kind, source in (("frame", items), ("file", path)):
            got = behaviour.discount_use(shop["orders"], source, engine=engine)
            _assert_same(got, ref, f"{engine} from a {kind}")


def test_quarters_with_engine_limits(shop, files, tmp_path) -> None:
    from crm_analysis.engines import EngineConfig

    ref = behaviour.discount_use(shop["orders"], shop["items"], freq="Q", engine="pandas")
    limited = EngineConfig("duckdb", duckdb_memory_limit="256MB", duckdb_threads=1,
                           duckdb_temp_directory=str(tmp_path / "spill"))
    _assert_same(behaviour.discount_use(shop["orders"], files["items"], freq="Q",
                                        engine=limited), ref, "duckdb with limits, quarters")


def test_a_path_needs_a_sql_engine(shop, files) -> None:
    with pytest.raises(TypeError, match="engine='duckdb'"):
        behaviour.discount_use(shop["orders"], files["items"], engine="pandas")


def test_prepare_takes_the_lines_as_a_file(shop, files, tmp_path) -> None:
    """behaviour.prepare keeps a lines file for the engine; an empty one skips the section."""
    orders = shop["orders"].dropna(subset=["order_date"]).assign(customer_id="c1", amount=1.0)
    data = behaviour.prepare({"orders": orders, "order_items": files["items"]})
    assert data.has("order_items") and "Discount use" not in data.skipped
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.Table.from_pandas(shop["items"].iloc[:0], preserve_index=False), empty)
    data = behaviour.prepare({"orders": orders, "order_items": str(empty)})
    assert not data.has("order_items") and "Discount use" in data.skipped
