"""Customers ranked by value: the value tiers, the customers per tier and the top customers.

The value is ``clv`` (currency) when the orders carry amounts; a log without amounts has no money
column and ranks customers by ``expected_purchases`` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["VALUE_TIERS", "tier_table", "top_customers", "value_tiers"]

VALUE_TIERS: tuple[str, ...] = ("top 10%", "next 10%", "next 30%", "bottom 50%")
"""CLV tiers by rank, best first (upper rank bounds 10%, 20%, 50%, 100%)."""


def value_tiers(clv: pd.Series) -> pd.Series:
    """CLV tier of each customer by rank: top 10%, next 10%, next 30%, bottom 50%.

    Tied customers share a tier, the lower one (``rank(method="max")``): when many customers
    have the same value (e.g. no spend in the window) none of them is lifted into a higher tier
    by the order of the rows, so tiers can be smaller than their nominal sizes.

    Returns
    -------
    Series
        Categorical with categories :data:`VALUE_TIERS`.
    """
    n = len(clv)
    share = clv.rank(method="max", ascending=False).to_numpy() / max(n, 1)
    codes = np.searchsorted(np.array([0.1, 0.2, 0.5]), share - 1e-12, side="left")
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(VALUE_TIERS)),
                     index=clv.index, name="value_tier")


def tier_table(customer_value: pd.DataFrame) -> pd.DataFrame:
    """Customers, value and expected purchases per value tier (best first), indexed by tier.

    ``clv`` (currency), ``median_clv`` and ``clv_share`` are left out when the values carry no
    money (a log without amounts, where the tiers rank expected purchases).
    """
    money = customer_value["clv"].notna().any()
    aggs = {"customers": ("expected_purchases", "size")}
    if money:
        aggs |= {"clv": ("clv", "sum"), "median_clv": ("clv", "median")}
    aggs["expected_purchases"] = ("expected_purchases", "mean")
    out = customer_value.groupby("value_tier", sort=False).agg(**aggs)
    if money:
        out["clv_share"] = out["clv"] / out["clv"].sum()
    return out.reindex(list(VALUE_TIERS))


def top_customers(customer_value: pd.DataFrame, n: int = 20) -> pd.DataFrame:
    """The ``n`` customers of highest value (of most expected purchases without amounts), with
    ids, segment, the model's predictions and, with amounts, order value and CLV."""
    money = customer_value["clv"].notna().any()
    columns = ["customer_id", "segment", "expected_purchases", "p_no_purchase", "p_alive"]
    columns += ["expected_order_value", "clv"] if money else []
    return customer_value.nlargest(n, "clv" if money else "expected_purchases")[columns]
