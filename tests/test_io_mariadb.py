"""load_raw from a real MariaDB server (tests/conftest.py starts one per session): the tables of
the PostgreSQL tests by name and by ``query:``, MySQL's types (DECIMAL, DATETIME, DATE, utf8mb4
text), its zero dates as bad input, the password only from the environment, and one report run
reading from the server.

Every test works in its own database (``crm_<name>``), so the tests do not depend on each other.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from test_io_sql import QUERY_MAPPING, _check, _fill

from crm_analysis.io import DataContractError, load_raw

pytestmark = pytest.mark.mariadb


def _database(server, url: str, name: str) -> tuple[str, sa.Engine]:
    """A fresh database ``crm_<name>``: its URL (no password) and an engine that writes to it."""
    admin = server.engine(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"drop database if exists crm_{name}"))
        conn.execute(sa.text(f"create database crm_{name} character set utf8mb4 "
                             "collate utf8mb4_unicode_ci"))
    admin.dispose()
    db_url = sa.make_url(url).set(database=f"crm_{name}")
    writer = sa.create_engine(db_url.set(password=server.password))
    return db_url.render_as_string(hide_password=False), writer


def test_mariadb_tables_and_query(mariadb_server, mariadb_url: str) -> None:
    url, writer = _database(mariadb_server, mariadb_url, "tables")
    _fill(writer)
    writer.dispose()
    assert sa.make_url(url).password is None
    raw = load_raw(url)  # password from CRM_DB_PASSWORD
    _check(raw["orders"])
    assert raw.tables == ["orders", "customers"]
    assert raw["customers"]["age"].tolist() == [30, pd.NA]
    assert raw["customers"]["marketing_opt_in"].tolist() == [True, False]  # BOOL is TINYINT
    assert raw["customers"]["marketing_opt_in"].dtype == "boolean"
    raw = load_raw(url, QUERY_MAPPING)
    _check(raw["orders"])


TYPED = [
    """create table shop_orders (
         nr int primary key, kunde varchar(20), datum datetime, summe decimal(12,2),
         kanal varchar(40)) character set utf8mb4""",
    """create table shop_customers (
         kunde varchar(20) primary key, seit date, geboren date, name varchar(80),
         land varchar(40)) character set utf8mb4""",
    """insert into shop_orders values
         (1, 'K1', '2024-01-31 10:15:00', 1234567.89, 'Café'),
         (2, 'K2', '2024-02-29 23:59:59', -3.10, 'Straße 🛒'),
         (3, 'K1', '2024-03-01 00:00:00', 0.05, null)""",
    """insert into shop_customers values
         ('K1', '2023-12-24', '1980-02-29', 'Zoë Ångström 🎉', 'Österreich'),
         ('K2', '2024-01-01', null, '李雷', 'España')""",
]
TYPED_MAPPING = {
    "tables": {
        "orders": {"table": "shop_orders", "columns": {
            "order_id": "nr", "customer_id": "kunde", "order_date": "datum", "amount": "summe",
            "channel": "kanal"}},
        "customers": {"table": "shop_customers", "columns": {
            "customer_id": "kunde", "signup_date": "seit", "birth_date": "geboren",
            "country": "land"}},
    },
}


def _typed(url: str) -> None:
    raw = load_raw(url, TYPED_MAPPING)
    orders, customers = raw["orders"], raw["customers"]
    assert orders["amount"].dtype == "float64"
    assert orders["amount"].tolist() == [1234567.89, -3.10, 0.05]
    assert orders["order_date"].dtype == "datetime64[ns]"
    assert orders["order_date"].tolist() == list(pd.to_datetime(
        ["2024-01-31 10:15:00", "2024-02-29 23:59:59", "2024-03-01 00:00:00"]))
    assert orders["channel"].tolist() == ["Café", "Straße 🛒", pd.NA]
    assert customers["signup_date"].dtype == "datetime64[ns]"
    assert customers["signup_date"].tolist() == list(pd.to_datetime(["2023-12-24", "2024-01-01"]))
    assert customers["birth_date"].tolist()[0] == pd.Timestamp("1980-02-29")
    assert pd.isna(customers["birth_date"].tolist()[1])
    assert customers["country"].tolist() == ["Österreich", "España"]
    assert customers["name"].tolist() == ["Zoë Ångström 🎉", "李雷"]
    assert customers["name"].dtype == "string"


def test_mariadb_types_decimal_datetime_date_utf8mb4(mariadb_server, mariadb_url: str) -> None:
    url, writer = _database(mariadb_server, mariadb_url, "types")
    with writer.begin() as conn:
        for statement in TYPED:
            conn.execute(sa.text(statement))
        stored = conn.execute(sa.text("select summe, kanal from shop_orders order by nr")).all()
        name = conn.execute(sa.text("select name from shop_customers where kunde='K1'")).scalar()
    writer.dispose()
    assert stored[0] == (Decimal("1234567.89"), "Café")  # what the driver gives: a Decimal
    assert name == "Zoë Ångström 🎉"  # utf8mb4 stored, not mangled to '?'
    _typed(url)
    # the same through queries (no table reflection: the driver's values as they come)
    _typed_query = {"tables": {
        "orders": {"query": "select nr as order_id, kunde as customer_id, datum as order_date, "
                   "summe as amount, kanal as channel from shop_orders order by nr"},
        "customers": {"query": "select kunde as customer_id, seit as signup_date, "
                      "geboren as birth_date, land as country from shop_customers order by kunde"},
    }}
    raw = load_raw(url, _typed_query)
    assert raw["orders"]["amount"].tolist() == [1234567.89, -3.10, 0.05]
    assert raw["orders"]["order_date"].dtype == "datetime64[ns]"
    assert raw["orders"]["channel"].tolist() == ["Café", "Straße 🛒", pd.NA]
    assert raw["customers"]["signup_date"].tolist() == list(
        pd.to_datetime(["2023-12-24", "2024-01-01"]))


ZERO_DATES = [
    "set session sql_mode = ''",  # MySQL's old default: zero dates accepted (and exported)
    """create table orders (order_id int, customer_id varchar(20), order_date datetime,
                            amount decimal(12,2))""",
    """insert into orders values (1, 'K1', '2024-01-31 10:15:00', 10.00),
                                 (2, 'K2', '0000-00-00 00:00:00', 5.50),
                                 (3, 'K3', '2024-02-02 08:00:00', 1.25),
                                 (4, 'K4', '0000-00-00 00:00:00', 2.00)""",
    "create table customers (customer_id varchar(20), signup_date date)",
    "insert into customers values ('K1', '2024-01-01'), ('K2', '0000-00-00')",
]


def test_mariadb_zero_dates_are_bad_input(mariadb_server, mariadb_url: str) -> None:
    url, writer = _database(mariadb_server, mariadb_url, "zero")
    with writer.begin() as conn:
        for statement in ZERO_DATES:
            conn.execute(sa.text(statement))
    writer.dispose()
    with pytest.raises(DataContractError) as info:
        load_raw(url)  # by table name
    text = str(info.value)
    assert "(table orders): orders.order_date: " in text
    assert "(result rows: 2: '0000-00-00 00:00:00', 4: '0000-00-00 00:00:00')" in text
    assert "(table customers): customers.signup_date: " in text
    assert "(result rows: 2: '0000-00-00')" in text
    assert "'0000-00-00' is MySQL's zero date (no date): make it NULL in a `query:`" in text
    assert "nullif(signup_date, '0000-00-00') as signup_date" in text
    assert mariadb_server.password not in text
    query = {"tables": {"orders": {"query": "select * from orders where order_id > 1"}}}
    with pytest.raises(DataContractError) as info:
        load_raw(url, query, tables=["orders"])
    text = str(info.value)
    assert "query for orders" in text and "orders.order_date" in text
    assert "(result rows: 1: '0000-00-00 00:00:00', 3: '0000-00-00 00:00:00')" in text
    # the fix the message gives: the zero date becomes NULL, a missing signup date
    fixed = {"tables": {
        "orders": {"query": "select * from orders where order_date > '1000-01-01'"},
        "customers": {"query": "select customer_id, "
                      "nullif(signup_date, '0000-00-00') as signup_date from customers"},
    }}
    raw = load_raw(url, fixed)
    assert raw["orders"]["order_id"].tolist() == ["1", "3"]
    assert raw["customers"]["signup_date"].tolist()[0] == pd.Timestamp("2024-01-01")
    assert pd.isna(raw["customers"]["signup_date"].tolist()[1])


def test_mariadb_errors_never_show_the_password(
    mariadb_server, mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    mapping = {
        "tables": {
            "orders": {
                "query": "select 1 as order_id, 'x' as customer_id, "
                "'never' as order_date, 1.0 as amount"
            }
        }
    }
    with pytest.raises(DataContractError) as info:
        load_raw(mariadb_url, mapping, tables=["orders"])
    text = str(info.value)
    assert "orders.order_date" in text and "(result rows: 1: 'never')" in text
    assert "query for orders" in text
    assert mariadb_server.password not in text
    monkeypatch.setenv("CRM_DB_PASSWORD", "wrong-password")
    with pytest.raises(DataContractError) as info:
        load_raw(mariadb_url)
    assert "wrong-password" not in str(info.value)
    assert "cannot connect" in str(info.value) and "Access denied" in str(info.value)


def test_mariadb_password_only_from_the_environment(
    mariadb_server, mariadb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, writer = _database(mariadb_server, mariadb_url, "env")
    _fill(writer)
    writer.dispose()
    monkeypatch.delenv("CRM_DB_PASSWORD")
    with pytest.raises(DataContractError, match=r"cannot connect.*Access denied"):
        load_raw(url)  # no password anywhere: refused
    monkeypatch.setenv("CRM_DB_URL", url)
    monkeypatch.setenv("CRM_DB_PASSWORD", mariadb_server.password)
    raw = load_raw("env:CRM_DB_URL")
    _check(raw["orders"])
    assert mariadb_server.password not in raw.source


def test_report_run_reads_from_mariadb(mariadb_server, mariadb_url: str, tmp_path) -> None:
    """Notebooks 01 and 03 through the runner on 300 synthetic customers held in MariaDB: the
    source and the mapping are parameters, the password reaches the kernels only through
    ``CRM_DB_PASSWORD`` in the environment."""
    from crm_analysis.config import PROJECT_ROOT
    from crm_analysis.reports import run_reports
    from crm_analysis.synthetic import SyntheticConfig, generate

    data = generate(SyntheticConfig(n_customers=300, seed=7))
    url, writer = _database(mariadb_server, mariadb_url, "report")
    for name, frame in data.tables.items():
        frame.to_sql(name, writer, index=False, chunksize=5_000)
    writer.dispose()
    raw_dir = tmp_path / "data" / "raw"
    raw_dir.mkdir(parents=True)
    mapping = raw_dir / "mapping.yaml"
    mapping.write_text("base: synthetic\nsource_name: synthetic CRM export in MariaDB\n")
    result = run_reports(
        notebooks_dir=PROJECT_ROOT / "notebooks",
        data_dir=tmp_path / "data",
        reports_dir=tmp_path / "reports",
        run_id="mariadb",
        notebooks=["01_data_cleaning", "03_customer_value"],
        overrides={"source": url, "mapping": str(mapping)},
        timeout=600,
    )
    failed = {nb.name: nb.error for nb in result.notebooks if nb.status != "ok"}
    assert result.exit_code == 0 and not failed, failed
    assert {nb.name for nb in result.notebooks} == {"01_data_cleaning", "03_customer_value"}
    metrics = {k: v["value"] for k, v in result["01_data_cleaning"].metrics.items()}
    assert metrics["orders_raw"] == len(data.tables["orders"])
    assert metrics["orders_clean"] == len(data.clean["orders"])
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert not [p for p in files if mariadb_server.password.encode() in p.read_bytes()]
    pages = "".join(p.read_text(errors="replace") for p in files if p.suffix == ".html")
    assert "synthetic CRM export in MariaDB" in pages
