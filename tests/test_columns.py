"""A table without the columns a function reads gets an error that names them (issue 19): the
missing columns, the table, the columns that are there and how to name yours; never a bare
``KeyError: 'order_date'``."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_analysis import behaviour, churn, demand, features, potential, value
from crm_analysis.columns import MissingColumnsError

WRONG = pd.DataFrame({"cust": ["a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-09"]),
                      "amount": [10.0, 4.5]})
"""Orders whose columns carry the export's own names, not the contract's."""
DAY = pd.Timestamp("2024-02-01")

CALLS = {
    "rfm_summary": lambda: features.rfm_summary(WRONG),
    "customer_rfm": lambda: features.customer_rfm(WRONG, as_of=DAY),
    "value.purchase_orders": lambda: value.purchase_orders(WRONG, DAY),
    "value.analyse": lambda: value.analyse(WRONG, DAY),
    "demand.analyse": lambda: demand.analyse({"orders": WRONG}, as_of=DAY),
    "behaviour.prepare": lambda: behaviour.prepare({"orders": WRONG}, DAY),
    "churn.prepare_inputs": lambda: churn.prepare_inputs(WRONG),
    "potential.compare_models": lambda: potential.compare_models(WRONG, DAY, horizon_days=30),
    "potential.predict_future_value": lambda: potential.predict_future_value(
        WRONG, DAY, potential.compare_models(WRONG.rename(columns={"cust": "customer_id",
                                                                    "date": "order_date"}),
                                             DAY, horizon_days=30)),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_wrong_column_names_are_named_in_the_error(name):
    with pytest.raises(MissingColumnsError) as caught:
        CALLS[name]()
    message = str(caught.value)
    assert caught.value.missing == ["customer_id", "order_date"]
    assert "['cust', 'date', 'amount']" in message and ("col=" in message
                                                        or "data contract" in message)


def test_the_hint_fits_the_function():
    """A function that takes column names says so; one that reads the contract's names points
    to the contract and the loader."""
    with pytest.raises(MissingColumnsError, match="customer_col="):
        value.purchase_orders(WRONG, DAY)
    with pytest.raises(MissingColumnsError, match="data contract"):
        value.analyse(WRONG, DAY)
    renamed = WRONG.rename(columns={"cust": "customer_id", "date": "order_date"})
    assert len(value.purchase_orders(renamed, DAY).orders) == 2


def test_demand_names_a_wrong_line_table():
    """The order lines are checked too (a KeyError 'order_id' before), files by their schema."""
    orders = WRONG.rename(columns={"cust": "customer_id", "date": "order_date"})
    with pytest.raises(MissingColumnsError, match=r"order_items lack column\(s\) \['order_id'"):
        demand.analyse({"orders": orders, "order_items": pd.DataFrame({"sku": [1]})}, as_of=DAY)
