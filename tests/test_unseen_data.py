"""Every notebook on data shaped unlike our own export: a bare orders table, and an invoice-line
export with other column names, float customer ids and 'C' cancellations.

Both are derived from the synthetic generator (so they hold realistic behaviour), but reach the
notebooks only through the formats a user would bring.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crm_analysis.config import PROJECT_ROOT
from crm_analysis.reports import run_reports
from crm_analysis.synthetic import SyntheticConfig, generate


def _orders_only(data, raw: Path) -> None:
    """Just orders.csv with the four contract columns, ISO dates, nothing else."""
    orders = data.clean["orders"].dropna(subset=["customer_id"])
    orders = orders[["order_id", "customer_id", "order_date", "amount"]]
    orders.to_csv(raw / "orders.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")


def _invoice_lines(data, raw: Path) -> None:
    """One Online-Retail-II-style file: Invoice, StockCode, ..., Customer ID as floats."""
    orders = data.tables["orders"].drop_duplicates("order_id")
    orders = orders.assign(order_date=data.clean["orders"].set_index("order_id")["order_date"]
                           .reindex(orders["order_id"]).to_numpy())
    orders = orders.dropna(subset=["order_date"])  # the future-dated dirt has no clean date
    lines = data.tables["order_items"].merge(
        orders[["order_id", "customer_id", "order_date"]], on="order_id")
    lines = lines.merge(data.tables["products"][["product_id", "product_name"]],
                        on="product_id", how="left")
    lines = lines.merge(data.tables["customers"][["customer_id", "country"]],
                        on="customer_id", how="left")
    pd.DataFrame({
        "Invoice": lines["order_id"],
        "StockCode": lines["product_id"],
        "Description": lines["product_name"].str.upper(),
        "Quantity": lines["quantity"].astype(int),
        "InvoiceDate": lines["order_date"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Price": (lines["unit_price"] * (1 - lines["discount"])).round(2),
        "Customer ID": lines["customer_id"].str.slice(2).astype("float64") + 12_000,
        "Country": lines["country"],
    }).to_csv(raw / "online_retail_II.csv", index=False)
    (raw / "mapping.yaml").write_text("base: retail_invoice_lines\n", encoding="utf-8")


@pytest.fixture(scope="module")
def synthetic():
    return generate(SyntheticConfig(n_customers=1_500, seed=13))


@pytest.mark.parametrize("shape", [_orders_only, _invoice_lines], ids=["orders_only", "invoices"])
def test_every_notebook_runs_on_data_we_did_not_make(shape, synthetic, tmp_path):
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shape(synthetic, raw)
    result = run_reports(notebooks_dir=PROJECT_ROOT / "notebooks", data_dir=tmp_path / "data",
                         reports_dir=tmp_path / "reports", run_id="unseen", timeout=600)
    failed = {nb.name: nb.error for nb in result.notebooks if nb.status != "ok"}
    assert result.exit_code == 0 and not failed, failed
    cleaning = result["01_data_cleaning"].metrics
    assert cleaning["orders_clean"]["value"] > 10_000
    if shape is _orders_only:
        page = (result.run_dir / "01_data_cleaning.html").read_text(encoding="utf-8")
        assert "Tables not supplied" in page  # the report says what it could not do
