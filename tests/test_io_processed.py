"""Processed tables: atomic Parquet writes that read back identically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from crm_analysis.io import read_table, write_table


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.array(["a", None], dtype="string"),
            "first_order": pd.to_datetime(["2024-01-01", "2024-02-01"]).astype("datetime64[ns]"),
            "orders": pd.array([3, None], dtype="Int64"),
            "value": [1.5, 2.0],
            "opt_in": pd.array([True, None], dtype="boolean"),
        }
    )


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    path = write_table(_frame(), "customers", tmp_path / "processed")
    assert path == tmp_path / "processed" / "customers.parquet"
    # timestamps come back in microseconds, the unit stored (every engine, Spark too, reads it)
    expected = _frame().assign(first_order=lambda d: d["first_order"].dt.as_unit("us"))
    pd.testing.assert_frame_equal(read_table("customers", tmp_path / "processed"), expected)
    assert str(pq.read_schema(path).field("first_order").type) == "timestamp[us]"
    assert [p.name for p in path.parent.iterdir()] == ["customers.parquet"]  # no temp left


def test_failed_write_leaves_old_table(tmp_path: Path) -> None:
    write_table(_frame(), "customers", tmp_path)
    bad = pd.DataFrame({"x": [object()]})
    with pytest.raises(Exception):  # noqa: B017 - pyarrow raises its own error types
        write_table(bad, "customers", tmp_path)
    pd.testing.assert_frame_equal(read_table("customers", tmp_path), _frame(), check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == ["customers.parquet"]


def test_read_missing_table_names_present_ones(tmp_path: Path) -> None:
    write_table(_frame(), "customers", tmp_path)
    with pytest.raises(FileNotFoundError, match="present: customers"):
        read_table("orders", tmp_path)


def test_table_names_must_be_plain(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain name"):
        write_table(_frame(), "../x", tmp_path)


def test_processed_tables_reads_what_is_present_and_scans_on_sql_engines(
        tmp_path: Path, monkeypatch) -> None:
    from crm_analysis.io import processed_tables

    folder = tmp_path / "processed"
    write_table(_frame(), "customers", folder)
    write_table(_frame(), "order_items", folder)
    names = ["orders", "order_items", "customers"]
    got = processed_tables(names, folder, scan={"order_items"}, engine="duckdb")
    assert list(got) == ["order_items", "customers"]  # orders is absent: left out
    assert got["order_items"] == folder / "order_items.parquet"
    assert isinstance(got["customers"], pd.DataFrame)
    monkeypatch.setenv("CRM_ENGINE", "duckdb")  # not read: the engine is the one passed
    got = processed_tables(names, folder, scan={"order_items"})
    assert all(isinstance(t, pd.DataFrame) for t in got.values())
