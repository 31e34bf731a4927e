"""The statements the SQL loader issues, compiled by SQL Server's and Oracle's dialects (and
MySQL's and PostgreSQL's for comparison), with no driver and no server (issue 21, item 3).

What ``crm_analysis.io.sources.SqlReader`` sends to a database:

1. the table listing behind ``exists`` and ``missing_problem``: ``sa.inspect(engine)``'s
   ``get_table_names(schema)`` and ``get_view_names(schema)``, queries the dialect writes over
   its catalog (``INFORMATION_SCHEMA.TABLES`` on SQL Server, ``all_tables``/``all_views`` on
   Oracle) with the schema as a bound parameter;
2. the reflection of a named table (``sa.Table(..., autoload_with=conn)``), likewise the
   dialect's own catalog queries;
3. the read of a named table: ``select(<every reflected column>) from [schema.]table``, built
   by ``_read_sql_table``: no row limit, no WHERE, no date literal, no parameter;
4. a mapping's ``query:``: ``sa.text(query)``, sent as written (not wrapped, not limited).

Statements 3 and 4 are captured here from the loader itself (``SqlReader.read`` over a SQLite
file holding the same names), then compiled by each dialect. No statement is typed by hand in
the loader, so none carries a ``LIMIT``, a quote character or a date literal of one database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, mysql, oracle, postgresql

from crm_analysis.io.mapping import TableMapping
from crm_analysis.io.sources import SqlReader

DIALECTS = {
    "mssql+pymssql": mssql.pymssql.dialect(),
    "mssql+pyodbc": mssql.pyodbc.dialect(),
    "oracle+oracledb": oracle.oracledb.dialect(),
    "mysql+pymysql": mysql.pymysql.dialect(),
    "postgresql+psycopg": postgresql.psycopg.dialect(),
}

# a table named by a reserved word in mixed case, columns with a space, mixed case and a
# reserved word, in a schema
TABLE, SCHEMA = "Order", "Sales"
COLUMNS = ("order date", "CustomerID", "select", "amount")

# how each dialect writes `select <columns> from Sales.Order`
EXPECTED_READ = {
    "mssql": "SELECT [Sales].[Order].[order date], [Sales].[Order].[CustomerID], "
             "[Sales].[Order].[select], [Sales].[Order].amount \nFROM [Sales].[Order]",
    "oracle": 'SELECT "Sales"."Order"."order date", "Sales"."Order"."CustomerID", '
              '"Sales"."Order"."select", "Sales"."Order".amount \nFROM "Sales"."Order"',
    "mysql": "SELECT `Sales`.`Order`.`order date`, `Sales`.`Order`.`CustomerID`, "
             "`Sales`.`Order`.`select`, `Sales`.`Order`.amount \nFROM `Sales`.`Order`",
    "postgresql": 'SELECT "Sales"."Order"."order date", "Sales"."Order"."CustomerID", '
                  '"Sales"."Order"."select", "Sales"."Order".amount \nFROM "Sales"."Order"',
}


def _sqlite_reader(tmp_path: Path, schema: str | None) -> tuple[SqlReader, list[object]]:
    """A SqlReader over SQLite files holding ``Order`` (in the attached schema ``Sales`` when
    ``schema`` is given), and the list every statement it executes is appended to."""
    table_db = tmp_path / "sales.db"
    engine = sa.create_engine(f"sqlite:///{table_db}")
    with engine.begin() as conn:
        columns = ", ".join(f'"{c}" text' for c in COLUMNS)
        conn.exec_driver_sql(f'create table "{TABLE}" ({columns})')
        conn.exec_driver_sql(f'insert into "{TABLE}" values (\'2024-01-31\', \'7\', \'x\', \'1\')')
    engine.dispose()
    main_db = table_db if schema is None else tmp_path / "main.db"
    reader = SqlReader(sa.make_url(f"sqlite:///{main_db}"))
    if schema is not None:
        @sa.event.listens_for(reader.engine, "connect")
        def _attach(dbapi_connection, _record):
            dbapi_connection.execute(f"attach database '{table_db}' as \"{schema}\"")

    seen: list[object] = []

    @sa.event.listens_for(reader.engine, "before_execute")
    def _record(_conn, clause, *_args):
        seen.append(clause)

    return reader, seen


def _loader_statement(tmp_path: Path, spec: TableMapping, schema: str | None = None):
    """The one SELECT or text statement ``SqlReader.read`` issues for ``spec``."""
    reader, seen = _sqlite_reader(tmp_path, schema)
    try:
        raw = reader.read("orders", spec)
    finally:
        reader.close()
    assert len(raw.frame) == 1
    statements = [s for s in seen if isinstance(s, (sa.Select, sa.TextClause))]
    assert len(statements) == 1, statements
    return statements[0]


@pytest.mark.parametrize("dialect", DIALECTS, ids=list(DIALECTS))
def test_the_table_read_quotes_names_in_each_dialects_spelling(tmp_path, dialect):
    statement = _loader_statement(tmp_path, TableMapping(table=TABLE, schema=SCHEMA),
                                  schema=SCHEMA)
    compiled = statement.compile(dialect=DIALECTS[dialect])
    assert str(compiled) == EXPECTED_READ[DIALECTS[dialect].name]
    # nothing a database could read differently: no parameter, no literal, no row limit
    assert compiled.params == {}
    assert "'" not in str(compiled)
    for limit in ("LIMIT", "TOP", "FETCH", "ROWNUM", "OFFSET"):
        assert limit not in str(compiled).upper().replace("[", " ").split()


@pytest.mark.parametrize("dialect", DIALECTS, ids=list(DIALECTS))
def test_the_table_read_without_a_schema_names_the_table_alone(tmp_path, dialect):
    statement = _loader_statement(tmp_path, TableMapping(table=TABLE))
    sql = str(statement.compile(dialect=DIALECTS[dialect]))
    quoted = {"mssql": "[Order]", "mysql": "`Order`"}.get(DIALECTS[dialect].name, '"Order"')
    assert sql.endswith(f"FROM {quoted}")
    assert "Sales" not in sql


def test_a_row_limit_on_the_loaders_read_would_compile_to_top_and_fetch_first(tmp_path):
    """The loader reads whole tables. A probe that limits the read must be built on its select
    (``.limit(n)``), never typed as ``LIMIT n``: SQL Server writes ``TOP n``, Oracle 12c and
    later ``FETCH FIRST n ROWS ONLY``."""
    statement = _loader_statement(tmp_path, TableMapping(table=TABLE, schema=SCHEMA),
                                  schema=SCHEMA).limit(5)

    def sql(name: str) -> str:
        return str(statement.compile(dialect=DIALECTS[name],
                                     compile_kwargs={"literal_binds": True}))

    assert sql("mssql+pymssql").startswith("SELECT TOP 5 [Sales].[Order].[order date]")
    assert sql("mssql+pyodbc").startswith("SELECT TOP 5 ")
    assert sql("oracle+oracledb").endswith('FROM "Sales"."Order"\n FETCH FIRST 5 ROWS ONLY')
    assert sql("mysql+pymysql").endswith("FROM `Sales`.`Order` \n LIMIT 5")
    assert sql("postgresql+psycopg").endswith('FROM "Sales"."Order" \n LIMIT 5')


@pytest.mark.parametrize("dialect", DIALECTS, ids=list(DIALECTS))
def test_a_mappings_query_is_sent_as_written(tmp_path, dialect):
    """``query:`` is the database's own SQL: no dialect rewrites it (no wrapping, no limit), so
    a query for SQL Server is written with ``TOP``/brackets and one for Oracle with
    ``FETCH FIRST``/double quotes."""
    query = 'select "order date" as order_date, "CustomerID" as customer_id from "Order"'
    statement = _loader_statement(tmp_path, TableMapping(query=query))
    assert isinstance(statement, sa.TextClause)
    compiled = statement.compile(dialect=DIALECTS[dialect])
    assert str(compiled) == query
    assert compiled.params == {}


class _CatalogConnection:
    """Stands in for a connection: records the catalog queries a dialect issues."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self.dialect = dialect
        self.statements: list[object] = []

    def execute(self, statement, parameters=None, **_options):
        self.statements.append(statement)
        return self

    def scalars(self):
        return self

    def all(self):
        return []

    def __iter__(self):
        return iter(())


@pytest.mark.parametrize(
    ("dialect", "default_schema", "catalog", "schema_value"),
    [
        ("mssql+pymssql", "dbo", "[INFORMATION_SCHEMA].[TABLES]", "Sales"),
        # Oracle keeps case-insensitive names in upper case: the owner asked for is SALES for
        # `schema: sales`, Sales (as written) for a mixed-case one
        ("oracle+oracledb", "CRM", "all_tables", "Sales"),
    ],
)
def test_the_table_listing_binds_the_schema(dialect, default_schema, catalog, schema_value):
    """``SqlReader.table_names`` (``exists``, and the "found:" list of a missing table) asks
    ``sa.inspect(engine)`` for tables and views: the dialect's catalog queries, with the schema
    as a bound parameter (never quoted into the text)."""
    engine_dialect = type(DIALECTS[dialect])()
    engine_dialect.default_schema_name = default_schema
    conn = _CatalogConnection(engine_dialect)
    engine_dialect.get_table_names(conn, schema=SCHEMA)
    engine_dialect.get_view_names(conn, schema=SCHEMA)
    assert len(conn.statements) == 2
    for statement in conn.statements:
        compiled = statement.compile(dialect=engine_dialect)
        assert SCHEMA not in str(compiled)
        assert schema_value in compiled.params.values()
    assert catalog in str(conn.statements[0].compile(dialect=engine_dialect))
    if engine_dialect.name == "oracle":
        conn = _CatalogConnection(engine_dialect)
        engine_dialect.get_table_names(conn, schema="sales")
        assert "SALES" in conn.statements[0].compile(dialect=engine_dialect).params.values()


def test_oracle_reports_case_insensitive_names_in_lower_case():
    """SQLAlchemy gives Oracle's upper-case (case-insensitive) names in lower case: a table
    created as ``create table orders`` (stored ORDERS) is listed as ``orders``, its columns come
    back as ``customer_id``; quoted mixed-case names keep their case. Mappings for Oracle use
    the lower-case names (docs/data_contract.md)."""
    dialect = DIALECTS["oracle+oracledb"]
    assert dialect.normalize_name("ORDERS") == "orders"
    assert dialect.normalize_name("CUSTOMER_ID") == "customer_id"
    assert dialect.normalize_name("Order") == "Order"
    assert dialect.denormalize_name("orders") == "ORDERS"


def test_an_oracle_table_named_in_upper_case_is_found():
    """Oracle lists case-insensitive names in lower case; ``table: ORDERS`` (as Oracle's tools
    show it) is found and read under that name. SQL Server keeps the name as written."""
    reader = SqlReader.__new__(SqlReader)
    reader.engine = sa.create_mock_engine("oracle+oracledb://analyst@db.example:1521/"
                                          "?service_name=CRM", lambda *a, **k: None)
    reader.label = "oracle"
    reader.table_names = lambda schema=None: ["customers", "orders"]
    assert reader.exists("orders", TableMapping(table="orders"))
    assert reader.exists("orders", TableMapping(table="ORDERS"))
    assert reader._name("orders", TableMapping(table="ORDERS")) == "orders"
    assert not reader.exists("orders", TableMapping(table="LINES"))
    mssql = SqlReader.__new__(SqlReader)
    mssql.engine = sa.create_mock_engine("mssql+pymssql://analyst@db.example:1433/crm",
                                         lambda *a, **k: None)
    assert mssql._name("orders", TableMapping(table="Orders")) == "Orders"  # as written
