"""Bad inputs stop the load with one DataContractError naming file, table, column and rows.

Rows in file messages are spreadsheet rows: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from crm_analysis.io import DataContractError, load_mapping, load_raw

GOOD = "order_id,customer_id,order_date,amount\n1,a,2024-01-01,1.5\n2,b,2024-01-02,2\n"


def _load_error(source: Path | str, mapping: object = None) -> DataContractError:
    with pytest.raises(DataContractError) as info:
        load_raw(source, mapping)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    return info.value


def test_missing_orders_file_lists_what_was_found(tmp_path: Path) -> None:
    (tmp_path / "order.csv").write_text(GOOD)
    (tmp_path / "customers.parquet").write_bytes(b"")
    text = str(_load_error(tmp_path))
    assert str(tmp_path) in text
    assert "orders.csv, orders.csv.gz, orders.parquet" in text
    assert "found: customers.parquet, order.csv" in text


def test_missing_folder(tmp_path: Path) -> None:
    assert "no such folder or file" in str(_load_error(tmp_path / "nope"))


def test_file_named_in_mapping_is_missing(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD)
    mapping = {"tables": {"customers": {"file": "kunden.csv"}}}
    text = str(_load_error(tmp_path, mapping))
    assert "customers" in text and "kunden.csv" in text and "found: orders.csv" in text


def test_misspelled_column_suggests_closest(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(GOOD.replace("order_date", "order_dat"))
    err = _load_error(tmp_path)
    text = str(err)
    assert str(path) in text
    assert "orders.order_date" in text
    assert "did you mean 'order_dat'?" in text
    assert "Columns found: order_id, customer_id, order_dat, amount" in text
    assert err.problems[0].column == "order_date"


def test_mapped_column_missing_suggests_closest(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD.replace("order_date", "Bestelldatum"))
    text = str(
        _load_error(tmp_path, {"tables": {"orders": {"columns": {"order_date": "Bestelldatun"}}}})
    )
    assert "looked for source column 'Bestelldatun'" in text
    assert "did you mean 'Bestelldatum'?" in text


def test_required_column_entirely_missing(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("order_id,customer_id,amount\n1,a,2.5\n")
    text = str(_load_error(tmp_path))
    assert "orders.csv: orders.order_date: required column 'order_date' is missing" in text


def test_orders_without_amounts_are_a_visit_log_but_a_misspelt_amount_is_an_error(
        tmp_path: Path) -> None:
    """Issue 17: customer id and date alone are valid (visits, bookings); an all-empty amount
    column is the same log; a column spelt nearly like ``amount`` is a mistake, not a log."""
    (tmp_path / "orders.csv").write_text("customer_id,order_date,count\na,2024-01-01,3\n")
    assert list(load_raw(tmp_path)["orders"].columns) == ["customer_id", "order_date"]
    (tmp_path / "orders.csv").write_text("customer_id,order_date,amount\na,2024-01-01,\n")
    assert list(load_raw(tmp_path)["orders"].columns) == ["customer_id", "order_date"]
    (tmp_path / "orders.csv").write_text("customer_id,order_date,amout\na,2024-01-01,3\n")
    text = str(_load_error(tmp_path))
    assert "column 'amount' is missing; did you mean 'amout'?" in text
    assert "`columns: {amount: amout}`" in text


def test_unparseable_dates_and_amounts_reported_together(tmp_path: Path) -> None:
    rows = ["order_id,customer_id,order_date,amount"]
    rows += [f"{i},c,2024-01-{i:02d},{i}" for i in range(1, 10)]
    rows[3] = "3,c,2024-02-30,3"  # spreadsheet row 4: no such day (31.01.2024 would be read)
    rows[5] = "5,c,yesterday,abc"  # spreadsheet row 6
    rows[8] = "8,c,2024-01-08,1,5"  # row 9: wrong separator gives an extra field
    rows[8] = "8,c,2024-01-08,12 EUR"
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    err = _load_error(tmp_path)
    text = str(err)
    assert len(err.problems) == 2
    assert "orders.order_date: values cannot be read as dates" in text
    assert "(spreadsheet rows: 4: '2024-02-30', 6: 'yesterday')" in text
    assert "orders.amount: values cannot be read as numbers" in text
    assert "(spreadsheet rows: 6: 'abc', 9: '12 EUR')" in text


def test_at_most_five_examples_with_total(tmp_path: Path) -> None:
    rows = ["order_id,customer_id,order_date,amount"] + [f"{i},c,bad{i},1" for i in range(8)]
    (tmp_path / "orders.csv").write_text("\n".join(rows) + "\n")
    problem = _load_error(tmp_path).problems[0]
    assert problem.rows == (2, 3, 4, 5, 6)
    assert problem.count == 8
    assert "8 in all" in str(problem)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text("")
    assert "orders.csv: orders: the file is empty" in str(_load_error(tmp_path))
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_date,amount\n")
    assert "header but no data rows" in str(_load_error(tmp_path))


def test_empty_optional_table_counts_as_not_supplied(tmp_path: Path) -> None:
    """A CRM export with no campaign contacts yet is valid: the table is simply absent."""
    (tmp_path / "orders.csv").write_text(GOOD)
    with gzip.open(tmp_path / "customers.csv.gz", "wt") as handle:
        handle.write("customer_id,age\n")
    raw = load_raw(tmp_path)
    assert "customers" not in raw and raw.empty_tables == ["customers"]


def test_wrong_encoding_names_encoding_and_suggests_mapping(tmp_path: Path) -> None:
    """Without a mapping the encoding is read from the file (issue 17); a mapping that names
    the wrong one gets an error naming it, the first bad line and the setting to change."""
    text = GOOD + "3,Müller,2024-01-03,4\n"
    (tmp_path / "orders.csv").write_bytes(text.encode("latin-1"))
    raw = load_raw(tmp_path)
    assert raw["orders"]["customer_id"].iloc[2] == "Müller"
    assert raw.dialects["orders"].encoding == "cp1252"
    assert "encoding" in raw.dialects["orders"].detected
    message = str(_load_error(tmp_path, {"encoding": "utf-8"}))
    assert "orders.csv: orders: cannot be decoded as utf-8" in message
    assert "line 4" in message
    assert "`encoding:`" in message


def test_duplicate_keys_in_dimension_table(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD)
    (tmp_path / "customers.csv").write_text(
        "customer_id,region\na,north\na,north\nb,south\nb,east\nc,west\nc,west\n"
    )
    err = _load_error(tmp_path)
    text = str(err)
    assert "customers.csv: customers.customer_id: duplicate keys" in text
    assert "(keys ['b'])" in text
    assert "spreadsheet rows: 4: 'b', 5: 'b'" in text  # a and c are exact duplicates: fine


def test_empty_key_and_required_value(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD + "3,c,,1\n")
    (tmp_path / "products.csv").write_text("product_id,category\np,x\n,y\n")
    text = str(_load_error(tmp_path))
    assert "orders.order_date: empty values in a column that must always be filled" in text
    assert "(spreadsheet rows: 4)" in text
    assert "products.product_id: empty values" in text


def test_problems_of_all_tables_reported_together(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD.replace("amount", "amout"))
    (tmp_path / "customers.csv").write_text("customer_id,age\na,thirty\n")
    err = _load_error(tmp_path)
    assert [(p.table, p.column) for p in err.problems] == [
        ("orders", "amount"),
        ("customers", "age"),
    ]
    assert str(err).startswith("the data does not meet the contract (2 problems):")


def test_unparseable_boolean(tmp_path: Path) -> None:
    (tmp_path / "orders.csv").write_text(GOOD)
    (tmp_path / "customers.csv").write_text("customer_id,marketing_opt_in\na,yes\nb,maybe\n")
    assert "customers.marketing_opt_in: values cannot be read as true/false" in str(
        _load_error(tmp_path)
    )


def test_mapping_errors() -> None:
    with pytest.raises(DataContractError, match="did you mean 'orders'"):
        load_mapping({"tables": {"oders": {}}})
    with pytest.raises(DataContractError, match="did you mean 'order_date'"):
        load_mapping({"tables": {"orders": {"columns": {"order_dat": "x"}}}})
    with pytest.raises(DataContractError, match="did you mean 'encoding'"):
        load_mapping({"encodng": "latin-1"})
    with pytest.raises(DataContractError, match="no shipped mapping"):
        load_mapping("no_such_mapping")


def test_retail_missing_customer_column(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "Invoice": ["1"],
            "StockCode": ["s"],
            "Quantity": ["1"],
            "InvoiceDate": ["2024-01-01"],
            "Price": ["1"],
            "CustomerID": ["5"],
        }
    )
    frame.to_csv(tmp_path / "lines.csv", index=False)
    text = str(_load_error(tmp_path, "retail_invoice_lines"))
    assert "invoice_lines.customer_id" in text
    assert "looked for source column 'Customer ID'" in text
    assert "did you mean 'CustomerID'?" in text
