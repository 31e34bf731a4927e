"""Issue 17 (first part): CSV exports are read as their tool wrote them, without a mapping.

Separator (``,`` ``;`` tab ``|``), decimal and thousands marks, encoding (UTF-8 with or without
byte-order mark, cp1252) and missing-value markers are read from the file; a setting the mapping
gives wins. A property test writes the same orders in every supported dialect and reads them
back equal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_analysis.io import DataContractError, load_raw
from crm_analysis.io.dialect import detect_dialect


def _write(folder: Path, text: str, encoding: str = "utf-8", name: str = "orders.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(text.encode(encoding))
    return folder


def test_excel_in_europe_semicolons_decimal_commas_cp1252(tmp_path):
    """The case of the issue: 'required column customer_id is missing. Columns found:
    order_id;customer_id;order_date;amount' no more."""
    text = ("order_id;customer_id;order_date;amount\n"
            "1;Müller;2025-01-02;12,50\n2;Ørsted;2025-01-03;1.234,00\n3;c3;2025-01-04;7\n")
    raw = load_raw(_write(tmp_path, text, "cp1252"))
    orders = raw["orders"]
    assert orders["amount"].tolist() == [12.5, 1234.0, 7.0]
    assert orders["customer_id"].tolist() == ["Müller", "Ørsted", "c3"]
    dialect = raw.dialects["orders"]
    assert (dialect.separator, dialect.decimal, dialect.thousands, dialect.encoding) == (
        ";", ",", ".", "cp1252")
    assert set(dialect.detected) >= {"separator", "decimal", "thousands", "encoding"}
    assert "separator ';', decimal ','" in dialect.describe()


def test_r_export_na_markers_tabs_and_a_byte_order_mark(tmp_path):
    text = ("order_id\tcustomer_id\torder_date\tamount\tcountry\n"
            "1\tNA\t2025-01-02\t10.5\tNA\n2\tc2\t2025-01-03\t20.25\tNA\n")
    raw = load_raw(_write(tmp_path, text, "utf-8-sig"))
    orders = raw["orders"]
    assert orders["customer_id"].isna().tolist() == [True, False]  # NA beside ids: missing
    dialect = raw.dialects["orders"]
    assert (dialect.separator, dialect.encoding, dialect.missing) == ("\t", "utf-8-sig", ("NA",))
    assert orders["amount"].tolist() == [10.5, 20.25]


def test_a_column_of_only_na_keeps_its_text(tmp_path):
    """'NA' is Namibia's country code: a column holding nothing else is not missing."""
    folder = _write(tmp_path, "order_id|customer_id|order_date|amount\n1|a|2025-01-02|1,234.5\n")
    _write(folder, "customer_id|country\na|NA\n", name="customers.csv")
    raw = load_raw(folder)
    assert raw["customers"]["country"].tolist() == ["NA"]
    assert raw.dialects["orders"].thousands == "," and raw["orders"]["amount"].iloc[0] == 1234.5


def test_the_mapping_wins_over_the_file(tmp_path):
    folder = _write(tmp_path, "order_id;customer_id;order_date;amount\n1;a;2025-01-02;1.500\n")
    guessed = load_raw(folder)  # 1.500 alone decides nothing: decimal point
    assert guessed["orders"]["amount"].iloc[0] == 1.5
    told = load_raw(folder, {"decimal": ",", "thousands": "."})
    assert told["orders"]["amount"].iloc[0] == 1500.0
    assert told.dialects["orders"].detected == ("separator",)


def test_an_unconfirmed_separator_is_named_in_the_error(tmp_path, monkeypatch):
    """When the sniffer cannot tell (here: made to fail) and the file reads as one column whose
    name holds another separator, the error names it and the mapping line that settles it."""
    from crm_analysis.io import dialect

    monkeypatch.setattr(dialect, "_separator", lambda path, encoding: None)
    folder = _write(tmp_path, "order_id;customer_id;order_date;amount\n1;a;2025-01-02;5\n")
    with pytest.raises(DataContractError, match=r"separated by ';'.*`separator: ';'`"):
        load_raw(folder)
    assert load_raw(folder, {"separator": ";"})["orders"]["amount"].tolist() == [5.0]


DIALECTS = st.sampled_from([(",", ".", None), (";", ",", "."), (";", ",", None),
                            ("\t", ".", None), ("|", ".", ","), ("\t", ",", ".")])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dialect=DIALECTS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       marker=st.sampled_from(["", "NA", "NULL"]),
       amounts=st.lists(st.decimals(min_value=0, max_value=99_999, places=2, allow_nan=False),
                        min_size=3, max_size=12),
       seed=st.integers(0, 1_000))
def test_any_supported_dialect_reads_back_equal(tmp_path_factory, dialect, encoding, marker,
                                                amounts, seed):
    separator, decimal, thousands = dialect
    rng = np.random.default_rng(seed)
    n = len(amounts)
    names = np.array(["Anna", "Jörg", "Zoë", "José", "c-17"])[rng.integers(0, 5, n)]
    ids = [None if rng.random() < 0.3 else f"{name}{i}" for i, name in enumerate(names)]
    ids[0] = "first"  # at least one id beside the markers
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    values = [float(a) for a in amounts]

    def number(x: float) -> str:
        text = f"{x:,.2f}" if thousands else f"{x:.2f}"
        return text.translate({ord(","): thousands or "", ord("."): decimal})

    lines = [separator.join(["order_id", "customer_id", "order_date", "amount"])]
    lines += [separator.join([str(i + 1), marker if c is None else c, f"{d:%Y-%m-%d}", number(v)])
              for i, (c, d, v) in enumerate(zip(ids, dates, values, strict=True))]
    folder = tmp_path_factory.mktemp("dialect")
    _write(folder, "\r\n".join(lines) + "\r\n", encoding)
    orders = load_raw(folder)["orders"]
    assert orders["amount"].tolist() == pytest.approx(values)
    assert orders["customer_id"].isna().tolist() == [c is None for c in ids]
    assert orders["customer_id"].dropna().tolist() == [c for c in ids if c is not None]
    assert (orders["order_date"] == pd.DatetimeIndex(dates)).all()


def test_detect_dialect_keeps_given_settings(tmp_path):
    path = _write(tmp_path, "a;b\n1;2,5\n") / "orders.csv"
    assert detect_dialect(path).decimal == ","
    kept = detect_dialect(path, separator=";", decimal=".", encoding="utf-8")
    assert (kept.separator, kept.decimal, kept.detected) == (";", ".", ())


def test_validate_takes_a_data_root_or_its_raw_folder_and_counts_right(tmp_path):
    root = tmp_path / "data"
    _write(root / "raw", "order_id;customer_id;order_date;amount\n1;a;2025-01-02;3,5\n"
                         "1;a;2025-01-02;3,5\n")
    outputs = []
    for target in (root, root / "raw"):
        out = subprocess.run([sys.executable, "-m", "crm_analysis.cli", "validate", str(target)],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        outputs.append(out.stdout)
    assert outputs[0] == outputs[1]
    assert "read with separator ';', decimal ','" in outputs[0]
    assert "1 kind of dirt" in outputs[0]  # the duplicated row


def test_common_column_names_are_recognised_and_written_as_a_mapping(tmp_path):
    """`CustomerID`, `InvoiceDate`, `Invoice No`, `Total`: an export's own names, no mapping."""
    text = ("Invoice No;CustomerID;InvoiceDate;Total;Country\n"
            "536365;17850;2010-12-01;139,12;UK\n536366;17850;2010-12-01;22,20;UK\n")
    folder = _write(tmp_path / "raw", text)
    raw = load_raw(folder)
    assert raw.recognised["orders"] == {"order_id": "Invoice No", "customer_id": "CustomerID",
                                        "order_date": "InvoiceDate", "amount": "Total"}
    assert raw["orders"]["amount"].tolist() == [139.12, 22.2]
    assert raw.extra_columns["orders"] == ["Country"]
    written = tmp_path / "mapping.yaml"
    out = subprocess.run([sys.executable, "-m", "crm_analysis.cli", "validate", str(folder),
                          "--write-mapping", str(written)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "customer_id <- 'CustomerID'" in out.stdout
    again = load_raw(folder, written)
    pd.testing.assert_frame_equal(again["orders"], raw["orders"])
    assert again.recognised == {}  # every column is named by the written mapping
    assert again.dialects["orders"].detected == ()
    refused = subprocess.run([sys.executable, "-m", "crm_analysis.cli", "validate", str(folder),
                              "--write-mapping", str(written)], capture_output=True, text=True)
    assert refused.returncode == 2 and "exists" in refused.stderr


def test_two_candidates_for_a_required_column_are_an_error_naming_both(tmp_path):
    folder = _write(tmp_path, "order_id,customer_id,date,InvoiceDate,amount\n"
                              "1,a,2025-01-02,2025-01-02,5\n")
    with pytest.raises(DataContractError) as info:
        load_raw(folder)
    message = str(info.value)
    assert "'order_date' could be any of 'date', 'InvoiceDate'" in message
    assert "`columns: {order_date: date}`" in message
    told = load_raw(folder, {"tables": {"orders": {"columns": {"order_date": "InvoiceDate"}}}})
    assert told["orders"]["order_date"].notna().all()


def test_a_bare_customer_column_is_not_taken_as_the_id(tmp_path):
    """'Customer' often holds a person's name; it must never become an id in a report."""
    folder = _write(tmp_path, "order_id,Customer,order_date,amount\n1,Jane Roe,2025-01-02,5\n")
    with pytest.raises(DataContractError, match="required column 'customer_id' is missing"):
        load_raw(folder)


def test_an_r_export_of_invoice_lines_with_mixed_month_first_dates(tmp_path):
    """The issue's case: semicolons, NA for missing ids, month-first dates written both
    '12/06/2010 10:08' and '2/20/11 11:39' in one column."""
    text = ("InvoiceNo;CustomerID;InvoiceDate;Total\n"
            "536365;NA;12/06/2010 10:08;1,5\n536366;17850;2/20/11 11:39;2\n"
            "536367;17851;12/06/2010 10:09;3,25\n")
    raw = load_raw(_write(tmp_path, text))
    orders = raw["orders"]
    assert orders["order_date"].tolist() == [pd.Timestamp("2010-12-06 10:08"),
                                              pd.Timestamp("2011-02-20 11:39"),
                                              pd.Timestamp("2010-12-06 10:09")]
    assert orders["customer_id"].isna().tolist() == [True, False, False]
    assert raw.date_formats_used["orders.order_date"] == {"%m/%d/%Y %H:%M": 2,
                                                          "%m/%d/%y %H:%M": 1}


def test_day_first_dates_beside_iso_and_an_ambiguous_column(tmp_path):
    folder = _write(tmp_path, "order_id,customer_id,order_date,amount\n"
                              "1,a,31.12.2025,1\n2,b,2025-01-03,2\n3,b,01.02.2025,2\n")
    orders = load_raw(folder)["orders"]
    assert orders["order_date"].tolist() == [pd.Timestamp("2025-12-31"),
                                              pd.Timestamp("2025-01-03"),
                                              pd.Timestamp("2025-02-01")]
    _write(folder, "order_id,customer_id,order_date,amount\n1,a,01.02.2025,1\n2,b,03.04.2025,2\n")
    with pytest.raises(DataContractError) as info:
        load_raw(folder)
    message = str(info.value)
    assert "'01.02.2025' read both day first (%d.%m.%Y) and month first (%m.%d.%Y)" in message
    assert 'date_formats: ["%d.%m.%Y"]' in message
    told = load_raw(folder, {"date_formats": ["%m.%d.%Y"]})["orders"]
    assert told["order_date"].tolist() == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-03-04")]


def test_the_cleaning_report_says_how_the_export_was_read(tmp_path):
    import html

    from crm_analysis import cleaning

    text = ("InvoiceNo;CustomerID;InvoiceDate;Total\n"
            "1;NA;12/06/2010 10:08;1,5\n2;c2;2/20/11 11:39;2\n")
    lines = [html.unescape(str(x)) for x in cleaning.how_read(load_raw(_write(tmp_path, text)))]
    # contract names are code spans, the file's own names quoted (issue 18)
    assert lines[0].startswith("`orders` was read with separator ';', decimal ','")
    assert "`customer_id` from 'CustomerID'" in lines[1]
    assert "%m/%d/%Y %H:%M, %m/%d/%y %H:%M, taken from its values" in lines[2]
    plain = tmp_path / "plain"
    _write(plain, "order_id,customer_id,order_date,amount\n1,a,2025-01-02,5\n")
    assert cleaning.how_read(load_raw(plain)) == []


def test_an_invoice_line_export_is_recognised_without_a_mapping(tmp_path):
    """The UCI Online Retail sample dropped into raw/ as it comes: one file of invoice lines
    (InvoiceNo, StockCode, Quantity, UnitPrice, InvoiceDate, CustomerID, ...), read with the
    invoice-line transform exactly as the shipped mapping with its columns named reads it."""
    import shutil

    import yaml

    uci = Path(__file__).parent / "data" / "online_retail_uci_sample.csv.gz"
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy(uci, folder / "online_retail.csv.gz")
    raw = load_raw(folder)
    assert raw.mapping.transform == "retail_invoice_lines"
    assert raw.recognised["invoice_lines"]["price"] == "UnitPrice"
    columns = {"invoice": "InvoiceNo", "stock_code": "StockCode", "description": "Description",
               "quantity": "Quantity", "invoice_date": "InvoiceDate", "price": "UnitPrice",
               "customer_id": "CustomerID", "country": "Country"}
    told = load_raw(folder, {"base": "retail_invoice_lines",
                             "tables": {"invoice_lines": {"columns": columns}}})
    for name in ("orders", "order_items", "customers", "products"):
        pd.testing.assert_frame_equal(raw[name], told[name], obj=name)
    written = tmp_path / "mapping.yaml"
    out = subprocess.run([sys.executable, "-m", "crm_analysis.cli", "validate", str(folder),
                          "--write-mapping", str(written)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(written.read_text())["transform"] == "retail_invoice_lines"
    pd.testing.assert_frame_equal(load_raw(folder, written)["orders"], raw["orders"])


SHOP_QUERY = """
select o.order_id, c.person_id as customer_id, o.created as order_date, sum(p.paid) as amount
from 'orders_export.csv' o
join 'customers_export.csv' c using (account_id)
join 'payments.csv.gz' p using (order_id)
group by all
order by o.order_id
"""


def test_a_folder_query_joins_a_multi_file_shop_export(tmp_path):
    """One person has a new account id on every order (the person key lives in the customers
    file) and an order's amount is the sum of its rows in a payments file: a `query:` over the
    folder's files builds the orders table (docs/data_contract.md, worked example)."""
    import gzip

    _write(tmp_path, "order_id,account_id,created\nA1,acc1,2025-01-02 10:00\n"
                     "A2,acc2,2025-01-05 11:00\nA3,acc3,2025-02-01 09:30\n",
           name="orders_export.csv")
    _write(tmp_path, "account_id,person_id\nacc1,P1\nacc2,P1\nacc3,P2\n",
           name="customers_export.csv")
    with gzip.open(tmp_path / "payments.csv.gz", "wt") as handle:
        handle.write("order_id,paid\nA1,10.5\nA1,4.5\nA2,20\nA3,7.25\n")
    raw = load_raw(tmp_path, {"tables": {"orders": {"query": SHOP_QUERY}}})
    orders = raw["orders"]
    assert orders["customer_id"].tolist() == ["P1", "P1", "P2"]
    assert orders["amount"].tolist() == [15.0, 20.0, 7.25]
    assert orders["order_date"].iloc[2] == pd.Timestamp("2025-02-01 09:30")
    with pytest.raises(DataContractError, match=r"the query failed: .*no_such_file"):
        load_raw(tmp_path, {"tables": {"orders": {"query": "select * from 'no_such_file.csv'"}}})
    with pytest.raises(DataContractError, match="the query returned no rows"):
        load_raw(tmp_path, {"tables": {"orders": {"query": SHOP_QUERY.replace(
            "group by all", "where o.order_id = 'none' group by all")}}})


def test_excel_workbooks_are_read_first_sheet_or_the_one_named(tmp_path):
    """Many CRM exports arrive as .xlsx: cells keep their Excel types (numbers, dates), ids
    stored as numbers lose their '.0', and a missing sheet is named with the ones there are."""
    orders = pd.DataFrame({"Order No": [1, 2, 3], "Customer ID": [12346.0, None, 12347.0],
                           "Order Date": pd.to_datetime(["2025-01-02 10:00", "2025-01-03 00:00",
                                                         "2025-02-01 00:00"]),
                           "Total": [10.5, 20.0, 7.25]})
    with pd.ExcelWriter(tmp_path / "orders.xlsx") as book:
        orders.to_excel(book, sheet_name="Export", index=False)
        pd.DataFrame({"note": ["not data"]}).to_excel(book, sheet_name="Readme", index=False)
    raw = load_raw(tmp_path)
    got = raw["orders"]
    assert got["customer_id"].tolist()[0] == "12346" and pd.isna(got["customer_id"].iloc[1])
    assert got["amount"].tolist() == [10.5, 20.0, 7.25]
    assert got["order_date"].iloc[0] == pd.Timestamp("2025-01-02 10:00")
    assert raw.recognised["orders"]["order_id"] == "Order No"
    with pytest.raises(DataContractError, match=r"no sheet 'Orders' \(sheets: Export, Readme\)"):
        load_raw(tmp_path, {"tables": {"orders": {"sheet": "Orders"}}})
    named = load_raw(tmp_path, {"tables": {"orders": {"sheet": "Export"}}})
    pd.testing.assert_frame_equal(named["orders"], got)
