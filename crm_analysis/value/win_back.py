"""The win-back list for people: once good customers (At Risk, Can't Lose) who stopped buying.

One row per customer with plain column names and the customer id only (no personal data):
what she bought, how long ago, and what she is expected to be worth.
"""

from __future__ import annotations

import pandas as pd

from crm_analysis.value.analysis import ValueAnalysis

__all__ = ["WIN_BACK_SEGMENTS", "win_back_list"]

WIN_BACK_SEGMENTS = ("At Risk", "Can't Lose")
"""The RFM segments of the win-back list: once good customers who have not bought for a while."""


def win_back_list(result: ValueAnalysis) -> pd.DataFrame:
    """The win-back list for people: At Risk and Can't Lose customers, highest past revenue
    (most orders without amounts) first, with plain column names and customer ids only.

    Columns: ``customer``, ``segment``, ``days since last purchase``, ``orders``, ``revenue``
    (currency, past; left out without amounts) and ``expected value`` (the customer value,
    currency; expected purchases without amounts).
    """
    rfm = result.rfm[result.rfm["segment"].isin(WIN_BACK_SEGMENTS)]
    value = result.customer_value.set_index("customer_id")
    out = pd.DataFrame({
        "customer": rfm.index.astype("string"),
        "segment": rfm["segment"].astype("string").to_numpy(),
        "days since last purchase": rfm["recency_days"].to_numpy(),
        "orders": rfm["orders"].to_numpy(),
    })
    if result.has_amounts:
        out["revenue"] = rfm["revenue"].round(2).to_numpy()
        out["expected value"] = value["clv"].reindex(rfm.index).round(2).to_numpy()
    else:
        out["expected purchases"] = value["expected_purchases"].reindex(rfm.index).round(
            2).to_numpy()
    order = "revenue" if result.has_amounts else "orders"
    return out.sort_values([order, "days since last purchase"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)
