"""load_raw from SQL databases: SQLite (file written here) and a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_analysis.io import DataContractError, load_raw
from crm_analysis.io.sources import resolve_url

ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3],
        "customer_id": [12346.0, None, 7.0],
        "order_date": pd.to_datetime(["2024-01-31 10:15", "2024-02-01 00:00", "2024-02-02 08:00"]),
        "amount": [10.5, -3.0, 4.25],
    }
)
CUSTOMERS = pd.DataFrame(
    {"customer_id": ["12346", "7"], "age": [30, None], "marketing_opt_in": [True, False]}
)
QUERY_MAPPING = {
    "tables": {
        "orders": {
            "query": "select order_id as nr, customer_id as kunde, order_date as datum, "
            "amount as summe from shop_orders where amount is not null",
            "columns": {
                "order_id": "nr",
                "customer_id": "kunde",
                "order_date": "datum",
                "amount": "summe",
            },
        },
    },
}


def _fill(engine: sa.Engine) -> None:
    ORDERS.to_sql("orders", engine, index=False)
    ORDERS.to_sql("shop_orders", engine, index=False)
    CUSTOMERS.to_sql("customers", engine, index=False)


def _check(raw_orders: pd.DataFrame) -> None:
    assert raw_orders["order_id"].tolist() == ["1", "2", "3"]
    assert raw_orders["customer_id"].tolist() == ["12346", pd.NA, "7"]
    assert raw_orders["order_date"].tolist() == list(ORDERS["order_date"])
    assert raw_orders["order_date"].dtype == "datetime64[ns]"
    assert raw_orders["amount"].tolist() == [10.5, -3.0, 4.25]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    _fill(engine)
    engine.dispose()
    return url


def test_sqlite_tables(sqlite_url: str) -> None:
    raw = load_raw(sqlite_url)
    assert raw.tables == ["orders", "customers"]
    _check(raw["orders"])
    assert raw["customers"]["age"].tolist() == [30, pd.NA]
    assert raw["customers"]["marketing_opt_in"].tolist() == [True, False]
    assert raw.source == sqlite_url


def test_sqlite_query_mapping(sqlite_url: str) -> None:
    raw = load_raw(sqlite_url, QUERY_MAPPING)
    _check(raw["orders"])
    assert raw.tables == ["orders", "customers"]  # unnamed tables are read by contract name


def test_sqlite_missing_table_lists_found(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = sa.create_engine(url)
    CUSTOMERS.to_sql("kunden", engine, index=False)
    engine.dispose()
    with pytest.raises(DataContractError, match=r"no table 'orders'.*found: kunden"):
        load_raw(url)


def test_sqlite_bad_values_name_result_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bad.db'}"
    engine = sa.create_engine(url)
    ORDERS.astype({"order_date": str}).assign(
        order_date=["2024-01-01", "01.02.2024", "2024-01-03"]
    ).to_sql("orders", engine, index=False)
    engine.dispose()
    with pytest.raises(DataContractError) as info:
        load_raw(url)
    text = str(info.value)
    assert "(table orders): orders.order_date: values cannot be read as dates" in text
    assert "(result rows: 2: '01.02.2024')" in text


def test_env_url_and_password(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("CRM_DB_URL", sqlite_url)
    _check(load_raw("env:CRM_DB_URL")["orders"])
    monkeypatch.delenv("CRM_DB_URL")
    with pytest.raises(DataContractError, match="CRM_DB_URL is not set"):
        load_raw("env:CRM_DB_URL")
    monkeypatch.setenv("CRM_DB_PASSWORD", "pw")
    url = resolve_url("postgresql+psycopg://me@db.example/crm")
    assert url.password == "pw"
    assert "pw" not in url.render_as_string(hide_password=True)


@pytest.mark.postgres
def test_postgres_tables_and_query(postgres_server, postgres_url: str) -> None:
    writer = sa.create_engine(sa.make_url(postgres_url).set(password=postgres_server.password))
    with writer.begin() as conn:
        conn.execute(sa.text("drop table if exists orders, shop_orders, customers"))
    _fill(writer)
    writer.dispose()
    assert sa.make_url(postgres_url).password is None
    raw = load_raw(postgres_url)  # password from CRM_DB_PASSWORD
    _check(raw["orders"])
    assert raw.tables == ["orders", "customers"]
    assert raw["customers"]["marketing_opt_in"].dtype == "boolean"
    raw = load_raw(postgres_url, QUERY_MAPPING)
    _check(raw["orders"])


@pytest.mark.postgres
def test_postgres_errors_never_show_the_password(
    postgres_server, postgres_url: str, monkeypatch: pytest.MonkeyPatch
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
        load_raw(postgres_url, mapping)
    text = str(info.value)
    assert "orders.order_date" in text and "(result rows: 1: 'never')" in text
    assert "query for orders" in text
    assert postgres_server.password not in text
    monkeypatch.setenv("CRM_DB_PASSWORD", "wrong-password")
    with pytest.raises(DataContractError) as info:
        load_raw(postgres_url)
    assert "wrong-password" not in str(info.value)
    assert "cannot connect" in str(info.value)


@pytest.mark.postgres
def test_postgres_streamed_read_equals_plain_read(
    postgres_server, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table read in chunks over a server-side cursor gives the frame a plain read gives,
    also where a column's chunks differ (one chunk all NULL: the column is inferred again)."""
    from crm_analysis.io import sources

    writer = sa.create_engine(sa.make_url(postgres_url).set(password=postgres_server.password))
    with writer.begin() as conn:
        conn.execute(sa.text(
            "drop table if exists big_orders; "
            "create table big_orders as select 'o' || i as order_id, "
            "case when i % 7 = 0 then null else 'c' || (i % 97) end as customer_id, "
            "case when i < 1000 then null else timestamp '2024-01-01' + i * interval '1 minute' "
            "end as order_date, (i * 1.25)::numeric(12,2) as amount, "
            "timestamptz '2024-03-30 12:00+01' + i * interval '1 hour' as changed_at, "
            "case when i between 1500 and 2100 then null else i % 2 = 0 end as paid "
            "from generate_series(0, 2999) as i"
        ))
    plain_sql = "select * from big_orders"
    with writer.connect() as conn:
        plain = pd.read_sql_query(sa.text(plain_sql), conn)
    writer.dispose()
    plain["changed_at"] = plain["changed_at"].dt.tz_convert("UTC")

    executions: list[tuple[object, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if "big_orders" in statement and "information_schema" not in statement:
            executions.append((context.execution_options.get("stream_results"),
                               getattr(cursor, "name", None)))

    monkeypatch.setattr(sources, "STREAM_CHUNK_ROWS", 500)  # six chunks
    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        reader = sources.SqlReader(sources.resolve_url(postgres_url))
        table = reader.read("orders", sources.TableMapping(table="big_orders"))
        query = reader.read("orders", sources.TableMapping(query=plain_sql))
        reader.close()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    pd.testing.assert_frame_equal(table.frame, plain)
    assert table.frame["order_date"].dtype.kind == "M"  # the first chunk, all NULL, joined in
    assert str(table.frame["changed_at"].dtype).endswith("UTC]")
    pd.testing.assert_frame_equal(query.frame.drop(columns="changed_at"),
                                  plain.drop(columns="changed_at"))
    select_runs = [e for e in executions if e[0] is not None]
    assert len(select_runs) == 2, executions
    assert all(stream is True and name for stream, name in select_runs), executions  # named
