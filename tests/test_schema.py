"""The contract in code (crm_analysis.schema) says the same as docs/data_contract.md."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from crm_analysis.schema import (
    DIMENSION_TABLES,
    PANDAS_DTYPES,
    SCHEMAS,
    TABLES,
    key_conflicts,
    raw_schema,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "data_contract.md"


def _doc_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """Parse the doc: table -> column -> (dtype, required cell)."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### (\w+)", line)
        if heading:
            current = heading.group(1)
            tables[current] = {}
            continue
        if line.startswith("## "):  # a new section ends the table descriptions
            current = None
        if current and line.startswith("| ") and not line.startswith(("| column", "| ---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            for name in cells[0].split(","):
                tables[current][name.strip()] = (cells[1], cells[2])
    return tables


def test_doc_and_code_list_the_same_tables_and_columns() -> None:
    doc = _doc_tables()
    assert list(doc) == list(TABLES)
    for name, spec in TABLES.items():
        assert list(doc[name]) == list(spec.columns), name


def test_doc_and_code_agree_on_dtypes_and_required() -> None:
    doc = _doc_tables()
    for name, spec in TABLES.items():
        for col, cspec in spec.columns.items():
            dtype, required = doc[name][col]
            assert dtype == cspec.dtype, f"{name}.{col}"
            assert required.startswith("yes") == cspec.required, f"{name}.{col}: {required}"


def test_doc_dtype_table_matches_pandas_dtypes() -> None:
    text = DOC.read_text(encoding="utf-8")
    for dtype, pandas_dtype in PANDAS_DTYPES.items():
        assert re.search(rf"^\| {dtype} \|.*`{re.escape(pandas_dtype)}`", text, re.M), dtype


def test_keys_and_required_table() -> None:
    assert [n for n, t in TABLES.items() if t.required_table] == ["orders"]
    assert {n for n, t in TABLES.items() if t.key} == set(DIMENSION_TABLES)
    for name in DIMENSION_TABLES:
        key = TABLES[name].key
        assert key is not None
        assert TABLES[name].columns[key].required
        assert not TABLES[name].columns[key].nullable


def _orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": pd.array(["1", "2"], dtype="string"),
            "customer_id": pd.array(["a", None], dtype="string"),
            "order_date": pd.to_datetime(["2024-01-01", "2024-01-02"]).astype("datetime64[ns]"),
            "amount": [1.0, -2.0],
            "status": pd.array(["completed", "Cancelled"], dtype="string"),
        }
    )


def test_structural_schema_accepts_odd_values_value_schema_does_not() -> None:
    SCHEMAS["orders"].validate(_orders())
    with pytest.raises(pandera.errors.SchemaError):
        raw_schema("orders", check_values=True).validate(_orders())


def test_schema_rejects_wrong_dtype_and_missing_required_column() -> None:
    with pytest.raises(pandera.errors.SchemaError):
        SCHEMAS["orders"].validate(_orders().astype({"amount": "string"}))
    with pytest.raises(pandera.errors.SchemaError):
        SCHEMAS["orders"].validate(_orders().drop(columns="order_date"))


def test_key_conflicts_ignore_exact_duplicates() -> None:
    frame = pd.DataFrame(
        {"product_id": ["a", "a", "b", "b", "c"], "category": ["x", "x", "y", "z", "w"]}
    )
    assert key_conflicts(frame, "product_id").tolist() == [False, False, True, True, False]
    products = frame.astype("string").rename(columns={"category": "category"})
    with pytest.raises(pandera.errors.SchemaError):
        SCHEMAS["products"].validate(products)
    SCHEMAS["products"].validate(products.iloc[[0, 1, 2, 4]])
