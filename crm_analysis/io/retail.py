"""The ``retail_invoice_lines`` transform: one invoice-line export -> four contract tables.

Input columns (contract-side names of the mapping's ``invoice_lines`` table): ``invoice``,
``stock_code``, ``description``, ``quantity``, ``invoice_date``, ``price`` (per unit, source
currency), ``customer_id``, ``country``. One row per invoice line, as in the UCI "Online Retail
II" export.

- ``order_items``: one row per line (``order_id`` = invoice, ``product_id`` = stock code,
  ``unit_price`` = price).
- ``orders``: one row per invoice, in order of first appearance; ``customer_id`` and
  ``order_date`` from the invoice's first line (an empty id stays empty: a guest order);
  ``amount`` = sum(quantity x price) over its lines; cancellations keep their ``C`` prefix and
  get ``status`` "cancelled" (others "completed").
- ``products``: one row per stock code, ``product_name`` = its first non-empty description.
- ``customers``: one row per non-empty customer id, ``country`` from its first line.
"""

from __future__ import annotations

import pandas as pd

from crm_analysis.money import line_value, order_totals


def retail_tables(lines: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split parsed invoice lines into orders, order_items, products and customers.

    Parameters
    ----------
    lines : pandas.DataFrame
        Parsed invoice lines (contract dtypes: ids as ``string``, ``invoice_date`` as
        ``datetime64[ns]``, ``quantity`` and ``price`` as ``float64``).

    Returns
    -------
    dict of str to pandas.DataFrame
        Contract tables (columns not present in the input are left out).
    """
    lines = lines.reset_index(drop=True)
    items = pd.DataFrame(
        {
            "order_id": lines["invoice"],
            "product_id": lines["stock_code"],
            "quantity": lines["quantity"],
            "unit_price": lines["price"],
        }
    )
    amount = order_totals(lines["invoice"], line_value(lines["quantity"], lines["price"]))
    first = lines.drop_duplicates("invoice", keep="first").set_index("invoice")
    cancelled = first.index.to_series().str.startswith("C").fillna(False).astype(bool)
    orders = pd.DataFrame(
        {
            "order_id": first.index.astype("string"),
            "customer_id": first["customer_id"].to_numpy(),
            "order_date": first["invoice_date"].to_numpy(),
            "amount": amount.reindex(first.index).to_numpy(dtype="float64"),
            "status": pd.array(
                cancelled.map({True: "cancelled", False: "completed"}), dtype="string"
            ),
        }
    )
    orders["customer_id"] = orders["customer_id"].astype("string")
    product_cols = {"stock_code": "product_id"}
    if "description" in lines:
        product_cols["description"] = "product_name"
    products = (
        lines.loc[lines["stock_code"].notna(), list(product_cols)].sort_values(
            "description", kind="stable", na_position="last", key=lambda s: s.isna()
        )
        if "description" in lines
        else lines.loc[lines["stock_code"].notna(), ["stock_code"]]
    )
    products = (
        products.drop_duplicates("stock_code", keep="first")
        .rename(columns=product_cols)
        .sort_index()
        .reset_index(drop=True)
    )
    customer_cols = ["customer_id"] + (["country"] if "country" in lines else [])
    customers = (
        lines.loc[lines["customer_id"].notna(), customer_cols]
        .drop_duplicates("customer_id", keep="first")
        .reset_index(drop=True)
    )
    return {"orders": orders, "order_items": items, "products": products, "customers": customers}
