"""The day-level scans behind the engine seam agree on pandas, DuckDB and Spark.

customer_days (the shared reduction), customer_rfm, daily_repeat_purchases, channel_shares and
the churn purchase log are computed by the pandas engine from a DataFrame (the reference) and by
DuckDB and Spark from the DataFrame and from a Parquet file; integers must be equal, sums equal
to 1e-9 relative. Also: the engine is what the caller passes (an EngineConfig or a name; None is
pandas), never the environment behind its back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crm_analysis.churn.events import purchase_log
from crm_analysis.features import (
    channel_shares,
    customer_days,
    customer_rfm,
    daily_repeat_purchases,
)


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    """~120 customers over 90 days: same-day repeats, refunds (amount <= 0), guests, mixed-case
    and missing channels."""
    rng = np.random.default_rng(11)
    n = 2500
    ids = np.array([f"k{i:03d}" for i in rng.integers(0, 120, n)], dtype=object)
    ids[rng.random(n) < 0.04] = None
    seconds = rng.integers(0, 90 * 86400, n)
    twin = np.arange(0, n - 1, 5)
    ids[twin] = ids[twin + 1]
    seconds[twin] = seconds[twin + 1] + rng.integers(1, 3600, len(twin))
    amount = np.round(rng.gamma(2.0, 20.0, n), 2)
    amount[rng.random(n) < 0.05] *= -1
    amount[rng.random(n) < 0.02] = 0.0
    channel = rng.choice(np.array(["web", "Web", "store", "APP", None], dtype=object), n)
    return pd.DataFrame({
        "order_id": [f"o{i}" for i in range(n)],
        "customer_id": pd.array(ids, dtype="str"),
        "order_date": pd.to_datetime(np.datetime64("2024-03-01", "us")
                                     + seconds.astype("timedelta64[s]")).as_unit("us"),
        "amount": amount,
        "channel": pd.array(channel, dtype="str"),
    })


@pytest.fixture(scope="module")
def parquet(tmp_path_factory, orders: pd.DataFrame) -> str:
    path = tmp_path_factory.mktemp("activity") / "orders.parquet"
    pq.write_table(pa.Table.from_pandas(orders, preserve_index=False), path,
                   coerce_timestamps="us")
    return str(path)


def _engines(request, orders, parquet):
    """(engine, source) pairs to compare with pandas-from-DataFrame."""
    request.getfixturevalue("spark")
    return [("duckdb", orders), ("duckdb", parquet), ("spark", orders), ("spark", parquet)]


def assert_frames(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(expected) > 0
    assert list(result.columns) == list(expected.columns)
    pd.testing.assert_index_equal(result.index, expected.index)
    for col in expected.columns:
        a, b = result[col].to_numpy(), expected[col].to_numpy()
        if b.dtype.kind in "iuMb":
            np.testing.assert_array_equal(a, b, err_msg=col)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, err_msg=col)


@pytest.mark.parametrize("until, positive_only", [(None, False), ("2024-04-15", True)])
def test_customer_days(request, orders, parquet, until, positive_only) -> None:
    ref = customer_days(orders, as_of=until, positive_only=positive_only, engine="pandas")
    assert len(ref) < len(orders)
    for engine, source in _engines(request, orders, parquet):
        got = customer_days(source, as_of=until, positive_only=positive_only, engine=engine)
        pd.testing.assert_index_equal(got.customers, ref.customers)
        for name in ("code", "day", "transactions", "first_us", "last_us"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name),
                                          err_msg=f"{engine} {name}")
        np.testing.assert_allclose(got.amount, ref.amount, rtol=1e-9, atol=1e-9)


def test_customer_days_by_hand() -> None:
    tx = pd.DataFrame({"customer_id": ["b", "a", "a", "a", None],
                       "order_date": pd.to_datetime(["2024-01-02 10:00", "2024-01-01 09:00",
                                                     "2024-01-01 17:30", "2024-01-03 08:00",
                                                     "2024-01-01 12:00"]),
                       "amount": [5.0, 10.0, -4.0, 7.5, 99.0]})
    for engine in ("pandas", "duckdb"):
        days = customer_days(tx, engine=engine)
        assert list(days.customers) == ["a", "b"]
        assert days.code.tolist() == [0, 0, 1]
        assert (days.day - days.day[0]).tolist() == [0, 2, 1]
        assert days.transactions.tolist() == [2, 1, 1]
        assert days.amount.tolist() == [6.0, 7.5, 5.0]
        first = days.first_us.astype("datetime64[us]")
        assert str(first[0]) == "2024-01-01T09:00:00.000000"
        assert str(days.last_us.astype("datetime64[us]")[0]) == "2024-01-01T17:30:00.000000"
        pos = customer_days(tx, engine=engine, positive_only=True, as_of="2024-01-02")
        assert pos.transactions.tolist() == [1, 1] and pos.amount.tolist() == [10.0, 5.0]


def test_customer_rfm(request, orders, parquet) -> None:
    ref = customer_rfm(orders, as_of="2024-05-01", engine="pandas")
    counted = orders["customer_id"].notna() & (orders["order_date"] < "2024-05-02")
    assert ref["orders"].sum() == counted.sum()
    assert ref["revenue"].sum() == pytest.approx(orders.loc[counted, "amount"].sum())
    for engine, source in _engines(request, orders, parquet):
        assert_frames(customer_rfm(source, as_of="2024-05-01", engine=engine), ref)


def test_daily_repeat_purchases(request, orders, parquet) -> None:
    ref = daily_repeat_purchases(orders, cohort_end="2024-04-01", as_of="2024-05-20",
                                 engine="pandas")
    assert ref["repeat_purchases"].sum() > 0
    for engine, source in _engines(request, orders, parquet):
        got = daily_repeat_purchases(source, cohort_end="2024-04-01",
                                     as_of="2024-05-20", engine=engine)
        pd.testing.assert_frame_equal(got, ref)


def test_channel_shares(request, orders, parquet) -> None:
    ref = channel_shares(orders, "2024-05-01", engine="pandas")
    assert list(ref.columns) == ["channel_app", "channel_store", "channel_unknown", "channel_web"]
    np.testing.assert_allclose(ref.sum(axis=1), 1.0)
    for engine, source in _engines(request, orders, parquet):
        assert_frames(channel_shares(source, "2024-05-01", engine=engine), ref)
    no_channel = orders.drop(columns="channel")
    for engine in ("pandas", "duckdb"):
        assert channel_shares(no_channel, "2024-05-01", engine=engine).shape[1] == 0


def test_purchase_log(request, orders, parquet) -> None:
    ref = purchase_log(orders, engine="pandas")
    assert (ref.amount > 0).all()
    for engine, source in _engines(request, orders, parquet):
        got = purchase_log(source, engine=engine)
        pd.testing.assert_index_equal(got.customers, ref.customers)
        for name in ("code", "day", "orders"):
            np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))
        np.testing.assert_allclose(got.amount, ref.amount, rtol=1e-9)


def test_the_engine_is_the_one_passed_never_the_environment(monkeypatch, orders) -> None:
    from crm_analysis.engines import EngineConfig, as_engine

    monkeypatch.setenv("CRM_ENGINE", "duckdb")  # read only by EngineConfig.from_environment
    assert as_engine(None) == EngineConfig() and as_engine(None).name == "pandas"
    assert as_engine("DuckDB") == EngineConfig("duckdb")
    assert EngineConfig.from_environment().name == "duckdb"
    assert EngineConfig.from_environment({"CRM_DUCKDB_THREADS": "3"}) == EngineConfig(
        duckdb_threads=3)
    with pytest.raises(TypeError, match="engine='pandas' takes a pandas DataFrame"):
        customer_days("orders.parquet")  # no engine named: pandas, whatever $CRM_ENGINE says
    with pytest.raises(ValueError, match=r"engine='polars' is not an engine"):
        customer_rfm(orders, as_of="2024-05-01", engine="polars")
    with pytest.raises(ValueError, match="unknown engine setting"):
        EngineConfig.from_settings({"engine": "duckdb", "duckdb_memory": "1GB"})
    with pytest.raises(TypeError, match="EngineConfig, an engine name or None"):
        as_engine(3)
    config = EngineConfig("spark", spark_shuffle_partitions="4", spark_driver_memory="2g")
    assert EngineConfig.from_settings(config.settings()) == config


def test_cohort_scans_follow_the_engine(monkeypatch, orders) -> None:
    """behaviour's cohort functions scan through customer_days: the same tables on DuckDB."""
    from crm_analysis.behaviour import cohorts

    purchases = orders[orders["customer_id"].notna() & (orders["amount"] > 0)]
    tables = []
    for engine in ("pandas", "duckdb"):
        days = cohorts.purchase_days(purchases, engine=engine)
        tables.append((cohorts.cohort_table(days, "2024-05-31"),
                       cohorts.interpurchase_times(days),
                       cohorts.second_purchase_curve(days, "2024-05-31")))
    ref, got = tables
    assert ref[0]["active"].sum() > 0 and len(ref[1]) > 0
    for a, b in zip(got, ref, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)


@pytest.fixture(scope="module")
def shop():
    """Cleaned tables of a small generated shop (orders, lines, products)."""
    from crm_analysis.synthetic import SyntheticConfig, generate

    return generate(SyntheticConfig(n_customers=800, seed=3, dirty=False)).clean


def _parquet_files(folder, tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    paths = {}
    for name, table in tables.items():
        paths[name] = str(folder / f"{name}.parquet")
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), paths[name],
                       coerce_timestamps="us")
    return paths


def test_churn_inputs_and_features_agree_across_engines(request, shop, tmp_path) -> None:
    """Order lines and products as frames or as Parquet files (what ``io.scan_table`` hands
    the SQL engines in notebooks 05 and 06): the same features as pandas."""
    from crm_analysis import churn

    tables = {k: shop[k] for k in ("order_items", "products")}
    files = _parquet_files(tmp_path, tables)
    cutoff = shop["orders"]["order_date"].max() - pd.Timedelta(days=120)
    ref_inputs = churn.prepare_inputs(shop["orders"], tables, engine="pandas")
    ref = churn.churn_features(ref_inputs, cutoff, horizon_days=90)
    assert ref["distinct_categories"].max() > 1
    request.getfixturevalue("spark")
    for engine in ("duckdb", "spark"):
        for kind, source in (("frames", tables), ("files", files)):
            inputs = churn.prepare_inputs(shop["orders"], source, engine=engine)
            assert "product_count" in inputs.items  # pairs counted per customer and first day
            got = churn.churn_features(inputs, cutoff, horizon_days=90)
            pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-9,
                                          obj=f"{engine} from {kind}")


def test_churn_inputs_from_files_without_categories(shop, tmp_path) -> None:
    """A products file without a category column: breadth counts products only, as on pandas."""
    from crm_analysis import churn

    tables = {"order_items": shop["order_items"],
              "products": shop["products"].drop(columns="category")}
    ref = churn.prepare_inputs(shop["orders"], tables, engine="pandas")
    got = churn.prepare_inputs(shop["orders"], _parquet_files(tmp_path, tables), engine="duckdb")
    assert "category_code" not in got.items and "category_code" not in ref.items
    assert got.notes == ref.notes
    cutoff = shop["orders"]["order_date"].max() - pd.Timedelta(days=120)
    pd.testing.assert_frame_equal(churn.churn_features(got, cutoff, horizon_days=90),
                                  churn.churn_features(ref, cutoff, horizon_days=90),
                                  check_exact=False, rtol=1e-9)
