"""The raw data contract in code (mirrors ``docs/data_contract.md``; a test keeps them in step).

Two views of the same contract:

- ``TABLES``: a plain, machine-readable description (``TableSpec`` / ``ColumnSpec``) that the
  loader, the docs test and the ``validate`` command read.
- ``SCHEMAS``: one pandera ``DataFrameSchema`` per raw table, built from ``TABLES``. It checks
  *structure* (columns, dtypes, empty values, keys); ``raw_schema(name, check_values=True)``
  additionally checks the allowed values the contract fixes (``status``, ``type``, ``group``,
  ``satisfaction`` ...), which raw data may violate until the cleaning step has normalised it.

Dtype names (``id``, ``timestamp``, ``number``, ``integer``, ``bool``, ``text``) map to pandas
dtypes through ``PANDAS_DTYPES``. Timestamps are naive ``datetime64[ns]`` in the source's local
time; amounts are in the source currency (never converted).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

# pandera imports pyspark.pandas whenever pyspark is installed (our `spark` extra): at import and
# again when it first validates, and pyspark warns about pandas 3 each time. We use Spark SQL
# only, never pyspark.pandas, so that one warning is silenced for the process.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                        category=FutureWarning)
import pandera.errors  # noqa: E402
import pandera.pandas as pa  # noqa: E402

SchemaErrors = pandera.errors.SchemaErrors

Dtype = Literal["id", "timestamp", "number", "integer", "bool", "text"]

PANDAS_DTYPES: dict[str, str] = {
    "id": "string",
    "timestamp": "datetime64[ns]",
    "number": "float64",
    "integer": "Int64",
    "bool": "boolean",
    "text": "string",
}
"""Contract dtype -> pandas dtype after loading."""

DIMENSION_TABLES: tuple[str, ...] = ("customers", "products", "campaigns", "service_tickets")
"""Tables with a unique key (exact duplicate rows are not key conflicts)."""


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column.

    Attributes
    ----------
    dtype : Dtype
        Contract dtype (see ``PANDAS_DTYPES``).
    required : bool
        The column must be present in the source.
    nullable : bool
        Empty values are allowed (e.g. guest orders without ``customer_id``).
    allowed : tuple or None
        Values the contract fixes; checked only with ``check_values=True`` (after cleaning).
    value_range : tuple or None
        Inclusive ``(min, max)`` for numbers; checked only with ``check_values=True``.
    description : str
        What the column means, units included.
    """

    dtype: Dtype
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    value_range: tuple[float, float] | None = None
    description: str = ""

    @property
    def pandas_dtype(self) -> str:
        """The pandas dtype a loaded column has."""
        return PANDAS_DTYPES[self.dtype]


@dataclass(frozen=True)
class TableSpec:
    """One contract table: its columns (in contract order), key and whether it is required."""

    name: str
    columns: dict[str, ColumnSpec]
    key: str | None = None
    required_table: bool = False
    description: str = ""
    derived: dict[str, str] = field(default_factory=dict)

    @property
    def required_columns(self) -> list[str]:
        """Columns that must be present in the source."""
        return [c for c, spec in self.columns.items() if spec.required]


def _c(dtype: Dtype, required: bool = False, nullable: bool = True, **kw: object) -> ColumnSpec:
    return ColumnSpec(dtype=dtype, required=required, nullable=nullable, **kw)  # type: ignore[arg-type]


TABLES: dict[str, TableSpec] = {
    "orders": TableSpec(
        name="orders",
        required_table=True,
        description="one row per order",
        derived={"amount": "sum(quantity x unit_price x (1 - discount)) over order_items"},
        columns={
            "order_id": _c("id", description="order number; cancellations carry a 'C' prefix"),
            "customer_id": _c("id", True, description="buyer; empty for guest orders"),
            "order_date": _c("timestamp", True, False, description="when the order was placed"),
            "amount": _c(
                "number", description="order total, source currency, negative if cancelled; "
                "derived from order_items when absent; a log without either (visits, bookings) "
                "has no money figures"
            ),
            "channel": _c("text", description="web, app, store, phone"),
            "status": _c("text", allowed=("completed", "cancelled", "returned")),
        },
    ),
    "order_items": TableSpec(
        name="order_items",
        description="one row per order line",
        columns={
            "order_id": _c("id", True, False),
            "product_id": _c("id", True, False),
            "quantity": _c("number", True, description="units; negative on cancellation lines"),
            "unit_price": _c("number", True, description="list price per unit, before discount"),
            "discount": _c("number", value_range=(0.0, 1.0), description="fraction of line value"),
        },
    ),
    "customers": TableSpec(
        name="customers",
        key="customer_id",
        description="one row per customer",
        columns={
            "customer_id": _c("id", True, False),
            "signup_date": _c("timestamp"),
            "birth_date": _c("timestamp"),
            "age": _c("integer", description="years at the export date"),
            "gender": _c("text"),
            "region": _c("text"),
            "country": _c("text"),
            "acquisition_channel": _c("text"),
            "marketing_opt_in": _c("bool"),
            "name": _c("text", description="personal data, never shown in reports"),
            "email": _c("text", description="personal data, never shown in reports"),
            "phone": _c("text", description="personal data, never shown in reports"),
        },
    ),
    "products": TableSpec(
        name="products",
        key="product_id",
        columns={
            "product_id": _c("id", True, False),
            "product_name": _c("text"),
            "category": _c("text"),
            "list_price": _c("number", description="source currency"),
        },
    ),
    "service_tickets": TableSpec(
        name="service_tickets",
        key="ticket_id",
        columns={
            "ticket_id": _c("id", True, False),
            "customer_id": _c("id", True),
            "opened_at": _c("timestamp", True, False),
            "first_response_at": _c("timestamp"),
            "resolved_at": _c("timestamp", description="empty while unresolved"),
            "type": _c("text", True, allowed=("inquiry", "feedback", "complaint")),
            "channel": _c("text", allowed=("email", "phone", "chat", "web")),
            "topic": _c("text"),
            "satisfaction": _c("integer", value_range=(1, 5), description="1..5, often empty"),
        },
    ),
    "campaigns": TableSpec(
        name="campaigns",
        key="campaign_id",
        columns={
            "campaign_id": _c("id", True, False),
            "name": _c("text"),
            "channel": _c("text", allowed=("email", "sms", "push", "mail")),
            "start_date": _c("timestamp", True),
            "end_date": _c("timestamp", True),
            "cost_per_contact": _c("number", description="source currency per contact"),
        },
    ),
    "campaign_contacts": TableSpec(
        name="campaign_contacts",
        description="one row per campaign and customer",
        columns={
            "campaign_id": _c("id", True, False),
            "customer_id": _c("id", True, False),
            "sent_at": _c("timestamp", True),
            "group": _c("text", True, allowed=("treatment", "control")),
            "opened": _c("bool"),
            "clicked": _c("bool"),
            "converted": _c("bool"),
        },
    ),
}
"""The contract: table name -> ``TableSpec``, in the order of ``docs/data_contract.md``."""


def key_conflicts(df: pd.DataFrame, key: str) -> pd.Series:
    """Mark rows whose key value appears in rows that are not exact copies of each other.

    Parameters
    ----------
    df : pandas.DataFrame
        A dimension table.
    key : str
        Its key column.

    Returns
    -------
    pandas.Series of bool
        True for every row that takes part in a conflict. Rows that are exact duplicates of
        each other (all columns equal) are *not* conflicts: the cleaning step drops them.
        Empty keys are ignored here (they fail the non-empty check instead).
    """
    if df.empty or key not in df.columns:
        return pd.Series(False, index=df.index)
    distinct = df.drop_duplicates()
    dup_keys = distinct.loc[distinct[key].notna() & distinct[key].duplicated(keep=False), key]
    return df[key].isin(set(dup_keys)).fillna(False).astype(bool)


def _column_schema(name: str, spec: ColumnSpec, check_values: bool) -> pa.Column:
    checks: list[pa.Check] = []
    if check_values and spec.allowed is not None:
        checks.append(pa.Check.isin(list(spec.allowed)))
    if check_values and spec.value_range is not None:
        low, high = spec.value_range
        checks.append(pa.Check.in_range(low, high))
    return pa.Column(
        spec.pandas_dtype,
        checks=checks,
        nullable=spec.nullable,
        required=spec.required,
        name=name,
    )


def raw_schema(name: str, *, check_values: bool = False) -> pa.DataFrameSchema:
    """Build the pandera schema of one raw table.

    Parameters
    ----------
    name : str
        A key of ``TABLES``.
    check_values : bool, default False
        Also check allowed values and ranges (meant for cleaned data; raw data may hold odd
        spellings that cleaning normalises).

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Columns with dtypes and nullability; a dimension table gets a frame-level check that its
        key is unique up to exact duplicate rows. Extra columns are allowed.
    """
    table = TABLES[name]
    columns = {col: _column_schema(col, spec, check_values) for col, spec in table.columns.items()}
    checks: list[pa.Check] = []
    if table.key is not None:
        key = table.key
        checks.append(
            pa.Check(
                lambda df, key=key: ~key_conflicts(df, key),
                name=f"unique_{key}",
                error=f"{key} must be unique (exact duplicate rows excepted)",
            )
        )
    return pa.DataFrameSchema(columns, checks=checks, name=name, strict=False, coerce=False)


SCHEMAS: dict[str, pa.DataFrameSchema] = {name: raw_schema(name) for name in TABLES}
"""Structural pandera schema per raw table (no allowed-value checks)."""
