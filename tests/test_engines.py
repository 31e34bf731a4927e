"""The engine seam of rfm_summary / calibration_holdout: pandas, DuckDB and Spark agree.

The same transactions are summarised by the pandas engine from a DataFrame (the reference) and
by DuckDB and Spark SQL from the DataFrame, from a Parquet file, from a glob of several Parquet
files and from a CSV file. Spark runs in local mode in one module-scoped session; without Java or
pyspark its tests are skipped, unless ``CI=true`` (then they fail).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crm_analysis.features import calibration_holdout, rfm_summary
from crm_analysis.features.rfm_sql import rfm_sql


def make_transactions(seed: int = 7, n: int = 3000) -> pd.DataFrame:
    """Random log: ~150 customers, hours over ~60 days, same-day and same-hour repeats, some
    missing customer ids."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i:04d}" for i in rng.integers(0, 150, n)], dtype=object)
    ids[rng.random(n) < 0.03] = None
    start = np.datetime64("2024-01-01T00:00:00", "us")
    seconds = rng.integers(0, 60 * 86400, n)
    twin = np.arange(0, n - 1, 7)  # same customer, same hour a bit later: same-period repeats
    ids[twin] = ids[twin + 1]
    seconds[twin] = seconds[twin + 1] + rng.integers(0, 60, len(twin))
    dates = start + seconds.astype("timedelta64[s]")
    amounts = np.round(rng.gamma(2.0, 20.0, n), 2)
    return pd.DataFrame({"customer_id": pd.array(ids, dtype="str"),
                         "order_date": pd.to_datetime(dates).as_unit("us"),
                         "amount": amounts})


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    return make_transactions()


@pytest.fixture(scope="module")
def files(tmp_path_factory, transactions: pd.DataFrame) -> dict[str, str]:
    root = tmp_path_factory.mktemp("engines")
    table = pa.Table.from_pandas(transactions, preserve_index=False)
    single = root / "orders.parquet"
    pq.write_table(table, single, coerce_timestamps="us")
    parts = root / "parts"
    parts.mkdir()
    for i, chunk in enumerate(np.array_split(np.arange(len(transactions)), 3)):
        pq.write_table(table.take(chunk), parts / f"part-{i}.parquet", coerce_timestamps="us")
    csv = root / "orders.csv"
    transactions.to_csv(csv, index=False, date_format="%Y-%m-%d %H:%M:%S")
    return {"parquet": str(single), "glob": str(parts / "*.parquet"), "csv": str(csv)}


def assert_same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(result.columns) == list(expected.columns)
    assert result.index.name == expected.index.name
    assert result.index.dtype == expected.index.dtype
    assert result.dtypes.to_dict() == expected.dtypes.to_dict()
    assert len(result) > 0
    pd.testing.assert_index_equal(result.index, expected.index)
    for col in expected.columns:
        if expected[col].dtype.kind in "iu":
            np.testing.assert_array_equal(result[col].to_numpy(), expected[col].to_numpy(),
                                          err_msg=col)
        else:
            np.testing.assert_allclose(result[col].to_numpy(), expected[col].to_numpy(),
                                       rtol=1e-9, atol=0, err_msg=col)


CASES = [
    pytest.param(dict(time_unit="D", as_of="2024-02-10"), id="D-cut"),
    pytest.param(dict(time_unit="D", time_scaler=7.0), id="D-weeks-default-end"),
    pytest.param(dict(time_unit="h", as_of="2024-02-20 13:30"), id="h-cut"),
    pytest.param(dict(time_unit="D", as_of="2024-01-20", monetary_col=None),
                 id="D-no-money"),
]
SOURCES = ["frame", "parquet", "glob", "csv"]


def _source(kind: str, transactions: pd.DataFrame, files: dict[str, str]) -> object:
    return transactions if kind == "frame" else files[kind]


def test_fixture_has_the_hard_cases(transactions: pd.DataFrame) -> None:
    tx = transactions.dropna(subset=["customer_id"])
    assert transactions["customer_id"].isna().any()
    day = tx["order_date"].dt.floor("D")
    assert tx.assign(day=day).duplicated(["customer_id", "day"]).any()
    assert (transactions["order_date"] > pd.Timestamp("2024-02-10")).any()


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("kwargs", CASES)
def test_duckdb_equals_pandas(kind, kwargs, transactions, files) -> None:
    expected = rfm_summary(transactions, **kwargs)
    result = rfm_summary(_source(kind, transactions, files), engine="duckdb", **kwargs)
    assert_same(result, expected)


@pytest.mark.parametrize("kind", SOURCES)
@pytest.mark.parametrize("kwargs", CASES)
def test_spark_equals_pandas(spark, kind, kwargs, transactions, files) -> None:
    expected = rfm_summary(transactions, **kwargs)
    result = rfm_summary(_source(kind, transactions, files), engine="spark", **kwargs)
    assert_same(result, expected)


def test_spark_takes_a_spark_dataframe(spark, transactions, files) -> None:
    frame = spark.read.parquet(files["parquet"])
    expected = rfm_summary(transactions, as_of="2024-02-10")
    assert_same(rfm_summary(frame, engine="spark", as_of="2024-02-10"), expected)


HOLDOUT = dict(calibration_end="2024-01-31", as_of="2024-02-20")


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("kind", ["frame", "glob"])
@pytest.mark.parametrize("time_unit", ["D", "h"])
def test_calibration_holdout_equal(request, engine, kind, time_unit, transactions, files) -> None:
    if engine == "spark":
        request.getfixturevalue("spark")
    expected = calibration_holdout(transactions, time_unit=time_unit, time_scaler=7.0, **HOLDOUT)
    result = calibration_holdout(_source(kind, transactions, files), engine=engine,
                                 time_unit=time_unit, time_scaler=7.0, **HOLDOUT)
    assert_same(result, expected)
    assert (expected["frequency_holdout"] > 0).any()


def test_hand_example_on_duckdb() -> None:
    data = pd.DataFrame({
        "cust": ["a", "a", "a", "a", "a", "b", "c", None],
        "ts": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-04",
                              "2024-01-04", "2024-01-11", "2024-01-05", "2024-01-20",
                              "2024-01-02"], format="mixed"),
        "spend": [10.0, 5.0, 20.0, 4.0, 6.0, 7.0, 3.0, 99.0],
    })
    out = rfm_summary(data, customer_col="cust", datetime_col="ts", monetary_col="spend",
                      as_of="2024-01-15", engine="duckdb")
    assert list(out.index) == ["a", "b"] and out.index.name == "cust"
    assert out.loc["a"].tolist() == [2, 10.0, 14.0, 15.0]
    assert out.loc["b"].tolist() == [0, 0.0, 10.0, 0.0]


def test_integer_ids_and_tz_aware_dates_on_duckdb() -> None:
    data = pd.DataFrame({
        "customer_id": [3, 1, 1, 3],
        "order_date": pd.to_datetime(["2024-03-01 23:30", "2024-03-01", "2024-03-05",
                                      "2024-03-02 00:30"], format="mixed")
        .tz_localize("Europe/Berlin"),
        "amount": [1.0, 2.0, 3.0, 4.0],
    })
    assert_same(rfm_summary(data, engine="duckdb"), rfm_summary(data))


def test_sql_is_built_once_with_dialect_differences() -> None:
    """The two engines' SQL differ only by the entries of the dialect table."""
    from crm_analysis.engines import DIALECTS

    for unit in ("D", "h"):
        kwargs = dict(customer_col="customer_id", datetime_col="order_date",
                      monetary_col="amount", time_unit=unit, calibration_end=5,
                      observation_end=9)
        duck, spark_sql = rfm_sql("t", "duckdb", **kwargs), rfm_sql("t", "spark", **kwargs)
        for name, d in DIALECTS.items():
            day = d.day_number.split("{x}")
            text = duck if name == "duckdb" else spark_sql
            if unit == "D":
                assert day[0] in text and day[1] in text
            else:
                assert d.epoch_micros + "(" in text
        spark_day = DIALECTS["spark"].day_number.split("{x}")
        duck_day = DIALECTS["duckdb"].day_number.split("{x}")
        normalised = duck
        if unit == "D":
            normalised = (normalised.replace(duck_day[0], spark_day[0])
                          .replace(duck_day[1], spark_day[1]))
        normalised = normalised.replace("epoch_us", "unix_micros").replace('"', "`")
        assert normalised == spark_sql


@pytest.mark.parametrize("holdout", [False, True])
@pytest.mark.parametrize("unit", ["D", "h"])
def test_per_customer_states_are_narrow(unit, holdout) -> None:
    """32-bit periods and COUNTs: wider per-customer states (BIGINT periods, integer SUMs) made
    the 30M-row benchmark under memory_limit 1.5GB spill 4x and take 1.5x (docs/engines.md)."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t (customer_id VARCHAR, order_date TIMESTAMP, amount DOUBLE)")
    sql = rfm_sql("t", "duckdb", customer_col="customer_id", datetime_col="order_date",
                  monetary_col="amount", time_unit=unit, calibration_end=5,
                  observation_end=9 if holdout else 5)
    types = {row[0]: row[1] for row in con.execute(f"DESCRIBE {sql}").fetchall()}
    con.close()
    assert types["first_p"] == types["last_p"] == "INTEGER"
    assert types["n_cal"] == "BIGINT" and types.get("n_hold", "BIGINT") == "BIGINT"


def test_errors() -> None:
    data = make_transactions(n=50)
    with pytest.raises(ValueError, match="is not an engine"):
        rfm_summary(data, engine="polars")
    with pytest.raises(ValueError, match="time_unit"):
        rfm_summary(data, engine="duckdb", time_unit="W")
    with pytest.raises(ValueError, match="lack column"):
        rfm_summary(data, engine="duckdb", customer_col="nope")
    with pytest.raises(ValueError, match="file format"):
        rfm_summary(Path("orders.json"), engine="duckdb")
    with pytest.raises(TypeError):
        rfm_summary("orders.parquet")  # the pandas engine takes DataFrames only


def test_duckdb_settings_from_the_configuration(tmp_path, transactions) -> None:
    from crm_analysis.engines import EngineConfig, duckdb_connect

    con = duckdb_connect(EngineConfig.from_environment(
        {"CRM_ENGINE": "duckdb", "CRM_DUCKDB_MEMORY_LIMIT": "512MB",
         "CRM_DUCKDB_TEMP_DIR": str(tmp_path / "spill")}))
    limit, temp = con.execute("SELECT current_setting('memory_limit'), "
                              "current_setting('temp_directory')").fetchone()
    assert limit.replace(" ", "").upper() in {"512.0MB", "488.2MIB", "512MB", "488.2MB"}
    assert temp == str(tmp_path / "spill")
    con.close()
    out = rfm_summary(transactions, engine=EngineConfig("duckdb", duckdb_memory_limit="256MB",
                                                        duckdb_threads=1))
    assert_same(out, rfm_summary(transactions))
