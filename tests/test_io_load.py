"""load_raw on folders: CSV, CSV.gz, Parquet, mappings, mixed dates, the retail transform."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from crm_analysis.io import RawData, load_mapping, load_raw, shipped_mappings, validate_raw
from crm_analysis.schema import TABLES

DATA = Path(__file__).parent / "data"

ORDERS = pd.DataFrame(
    {
        "order_id": ["1", "2", "2", "3", "C1"],
        "customer_id": ["12346.0", None, None, "7.0", "12346.0"],
        "order_date": [
            "2024-01-31 10:15:00",
            "2024-02-01",
            "2024-02-01",
            "2099-01-01 00:00:00",
            "2024-02-03 08:00:00",
        ],
        "amount": ["10.5", "-3", "-3", "4", "-10.5"],
        "channel": ["web", "App", "App", "store", "web"],
    }
)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _check_orders(raw: RawData) -> None:
    orders = raw["orders"]
    assert list(orders.columns) == ["order_id", "customer_id", "order_date", "amount", "channel"]
    assert orders.dtypes.astype(str).to_dict() == {
        "order_id": "string",
        "customer_id": "string",
        "order_date": "datetime64[ns]",
        "amount": "float64",
        "channel": "string",
    }
    assert orders["customer_id"].tolist() == ["12346", pd.NA, pd.NA, "7", "12346"]
    assert orders["amount"].tolist() == [10.5, -3.0, -3.0, 4.0, -10.5]
    assert orders["order_date"].iloc[3] == pd.Timestamp("2099-01-01")
    assert len(orders) == 5  # exact duplicates and future dates load as they are


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_folder_formats(tmp_path: Path, suffix: str) -> None:
    _write(ORDERS, tmp_path / f"orders{suffix}")
    raw = load_raw(tmp_path)
    _check_orders(raw)
    assert raw.tables == ["orders"]
    assert raw.has("orders") and not raw.has("customers")
    assert raw.source == str(tmp_path)


def test_parquet_with_numeric_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": [12346.0, float("nan")],
            "order_date": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00"]),
            "amount": [1, 2],
        }
    )
    _write(frame, tmp_path / "orders.parquet")
    orders = load_raw(tmp_path)["orders"]
    assert orders["order_id"].tolist() == ["1", "2"]
    assert orders["customer_id"].tolist() == ["12346", pd.NA]
    assert orders["amount"].dtype == "float64"
    assert orders["order_date"].dtype == "datetime64[ns]"


def test_all_tables_and_dtypes(tmp_path: Path) -> None:
    _write(ORDERS.drop(columns="amount"), tmp_path / "orders.csv")
    _write(
        pd.DataFrame(
            {
                "order_id": ["1", "1", "2", "3"],
                "product_id": ["p", "q", "p", "p"],
                "quantity": ["2", "1", "-1", "1"],
                "unit_price": ["5", "1", "3", "4"],
                "discount": ["0.5", None, None, "0"],
            }
        ),
        tmp_path / "order_items.csv",
    )
    _write(
        pd.DataFrame(
            {
                "customer_id": ["12346", "7"],
                "age": ["30", None],
                "marketing_opt_in": ["Yes", "f"],
                "signup_date": ["2020-01-01", None],
                "email": ["a@b.c", None],
            }
        ),
        tmp_path / "customers.csv",
    )
    _write(
        pd.DataFrame({"product_id": ["p", "q", "q"], "list_price": ["5", "1", "1"]}),
        tmp_path / "products.parquet",
    )
    _write(
        pd.DataFrame(
            {
                "ticket_id": ["t1"],
                "customer_id": ["7"],
                "opened_at": ["2024-01-01 10:00"],
                "type": ["complaint"],
                "satisfaction": ["4"],
            }
        ),
        tmp_path / "service_tickets.csv",
    )
    _write(
        pd.DataFrame(
            {
                "campaign_id": ["c1"],
                "start_date": ["2024-01-01"],
                "end_date": ["2024-01-31"],
                "cost_per_contact": ["0.1"],
            }
        ),
        tmp_path / "campaigns.csv",
    )
    _write(
        pd.DataFrame(
            {
                "campaign_id": ["c1", "c1"],
                "customer_id": ["7", "12346"],
                "sent_at": ["2024-01-02", "2024-01-02"],
                "group": ["treatment", "control"],
                "opened": ["1", "0"],
                "converted": ["true", "FALSE"],
            }
        ),
        tmp_path / "campaign_contacts.csv",
    )
    raw = load_raw(tmp_path)
    assert raw.tables == list(TABLES)
    for name, frame in raw.items():
        for col in frame.columns:
            assert str(frame[col].dtype) == TABLES[name].columns[col].pandas_dtype, (name, col)
    # amount derived from order_items: sum(quantity x unit_price x (1 - discount))
    assert raw["orders"]["amount"].tolist()[:4] == [6.0, -3.0, -3.0, 4.0]
    assert pd.isna(raw["orders"]["amount"].iloc[4])  # C1 has no items
    assert raw.derived["orders"] == ["amount"]
    assert raw["customers"]["age"].tolist() == [30, pd.NA]
    assert raw["customers"]["marketing_opt_in"].tolist() == [True, False]
    assert raw["campaign_contacts"]["opened"].tolist() == [True, False]
    assert len(raw["products"]) == 3  # exact duplicate rows are not key conflicts


def test_tables_argument_limits_what_is_read(tmp_path: Path) -> None:
    _write(ORDERS, tmp_path / "orders.csv")
    (tmp_path / "customers.csv").write_text("customer_id\n")  # would fail if read
    raw = load_raw(tmp_path, tables=["orders"])
    assert raw.tables == ["orders"]
    with pytest.raises(ValueError, match="unknown tables"):
        load_raw(tmp_path, tables=["orderz"])


def test_single_file_source_is_orders(tmp_path: Path) -> None:
    path = _write(ORDERS, tmp_path / "export.csv")
    _check_orders(load_raw(path))


def test_decimal_comma_thousands_dot_latin1(tmp_path: Path) -> None:
    raw = load_raw(DATA / "latin1", DATA / "latin1" / "mapping.yaml")
    orders = raw["orders"]
    assert orders["amount"].tolist() == [1234.56, -7.5, 12.0]
    assert orders["channel"].tolist() == ["Geschäft", "Web", "Café"]
    assert orders["order_date"].tolist() == [
        pd.Timestamp("2024-01-31 10:15"),
        pd.Timestamp("2024-02-01 09:00"),
        pd.Timestamp("2024-02-02"),
    ]
    assert orders["customer_id"].tolist() == ["K1", "K2", pd.NA]
    assert raw.source == "Shop-Export"
    assert raw.currency == "EUR"


def test_mapping_as_dict_with_renames(tmp_path: Path) -> None:
    _write(
        ORDERS.rename(columns={"order_date": "Datum", "amount": "Summe"}),
        tmp_path / "bestellungen.csv",
    )
    mapping = {
        "tables": {
            "orders": {
                "file": "bestellungen.csv",
                "columns": {"order_date": "Datum", "amount": "Summe"},
            }
        }
    }
    _check_orders(load_raw(tmp_path, mapping))


def test_mixed_date_formats_with_synthetic_mapping(tmp_path: Path) -> None:
    frame = ORDERS.copy()
    frame["order_date"] = [
        "2024-01-31 10:15:00",
        "31/01/2024 10:15",
        "20240131 101500",
        "2024-01-31T10:15:00",
        "2024-01-31 10:15",
    ]
    _write(frame, tmp_path / "orders.csv")
    orders = load_raw(tmp_path, "synthetic")["orders"]
    assert (orders["order_date"] == pd.Timestamp("2024-01-31 10:15")).all()


def test_dirty_data_loads_unchanged(tmp_path: Path) -> None:
    _write(ORDERS, tmp_path / "orders.csv")
    _write(
        pd.DataFrame(
            {
                "order_id": ["1", "1"],
                "product_id": [" p ", "P"],
                "quantity": ["-2", "-2"],
                "unit_price": ["1", "1"],
            }
        ),
        tmp_path / "order_items.csv",
    )
    raw = load_raw(tmp_path, "synthetic")
    assert raw["order_items"]["product_id"].tolist() == [" p ", "P"]  # spelling kept
    assert raw["order_items"]["quantity"].tolist() == [-2.0, -2.0]
    findings = [str(f) for f in validate_raw(raw, as_of=pd.Timestamp("2025-01-01"))]
    assert "warning: orders: exact duplicate rows (1 rows)" in findings
    assert "warning: orders.customer_id: empty values (2 rows)" in findings
    assert "warning: order_items.quantity: negative quantities (2 rows)" in findings
    assert any("orders.order_date: timestamps after 2025-01-01" in f for f in findings)
    assert "info: products: absent: the analyses that need it are skipped" in findings


def test_extra_columns_are_recorded(tmp_path: Path) -> None:
    _write(ORDERS.assign(note="x"), tmp_path / "orders.csv")
    raw = load_raw(tmp_path)
    assert raw.extra_columns["orders"] == ["note"]
    assert "note" not in raw["orders"]


def test_shipped_mappings_load() -> None:
    assert {"synthetic", "retail_invoice_lines"} <= set(shipped_mappings())
    synthetic = load_mapping("synthetic")
    assert synthetic.date_formats == (
        "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%Y%m%d %H%M%S", "ISO8601"
    )
    retail = load_mapping({"base": "retail_invoice_lines", "encoding": "latin-1"})
    assert retail.encoding == "latin-1"
    assert retail.transform == "retail_invoice_lines"
    assert retail.table("invoice_lines").columns["customer_id"] == "Customer ID"


def test_retail_invoice_lines(tmp_path: Path) -> None:
    shutil.copy(DATA / "retail" / "online_retail_sample.csv", tmp_path)
    raw = load_raw(tmp_path, "retail_invoice_lines")
    assert raw.tables == ["orders", "order_items", "customers", "products"]
    orders = raw["orders"].set_index("order_id")
    assert list(orders.index) == ["489434", "489435", "C489449", "489450"]
    assert orders.loc["489434", "amount"] == pytest.approx(12 * 6.95 + 12 * 6.75 + 48 * 2.1)
    assert orders.loc["C489449", "amount"] == pytest.approx(-12 * 6.95)
    assert orders.loc["C489449", "status"] == "cancelled"
    assert orders.loc["489434", "status"] == "completed"
    assert orders["customer_id"].tolist() == ["13085", pd.NA, "12346", "12346"]
    assert orders.loc["489435", "order_date"] == pd.Timestamp("2009-12-01 07:46")
    items = raw["order_items"]
    assert len(items) == 6
    assert items["quantity"].tolist()[4] == -12.0
    products = raw["products"].set_index("product_id")
    assert sorted(products.index) == ["22041", "79323P", "85048", "POST"]
    assert products.loc["22041", "product_name"] == 'RECORD FRAME 7" SINGLE SIZE'
    customers = raw["customers"].set_index("customer_id")
    assert customers["country"].to_dict() == {"13085": "United Kingdom", "12346": "Australia"}
    assert raw.currency == "GBP"
    for name, frame in raw.items():
        for col in frame.columns:
            assert str(frame[col].dtype) == TABLES[name].columns[col].pandas_dtype


def test_retail_single_file_and_tables_filter() -> None:
    raw = load_raw(
        DATA / "retail" / "online_retail_sample.csv", "retail_invoice_lines", tables=["orders"]
    )
    assert raw.tables == ["orders"]
    assert len(raw["orders"]) == 4
