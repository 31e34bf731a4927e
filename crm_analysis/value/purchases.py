"""Which orders the value analysis reads: customer purchases up to the end of the snapshot day.

Guest orders (no customer id), orders after the snapshot day and orders with a net amount of 0 or
less (fully cancelled or returned) are left out and counted, so the report can say what it did
not read. Nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.columns import require_columns

__all__ = ["PurchaseOrders", "purchase_orders"]


@dataclass(frozen=True)
class PurchaseOrders:
    """The orders the value analysis uses, and what was left out.

    Attributes
    ----------
    orders : DataFrame
        Orders with a customer id, on or before the snapshot day, with a positive net amount.
    as_of : Timestamp
        The as-of day (midnight); orders during that day count.
    guest_orders, after_snapshot, not_positive : int
        Orders left out: without customer id, dated after the snapshot day, with a net amount
        of 0 or less (fully cancelled or returned).
    """

    orders: pd.DataFrame
    as_of: pd.Timestamp
    guest_orders: int
    after_snapshot: int
    not_positive: int


def purchase_orders(
    orders: pd.DataFrame,
    as_of: object,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> PurchaseOrders:
    """Keep the customer purchases up to the end of the day ``as_of``.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders (``customer_id``, ``order_date``, ``amount``, any other columns).
    as_of : date-like
        Snapshot day, inclusive.
    customer_col, datetime_col, monetary_col : str
        Column names. Without ``monetary_col`` in the orders (a log of visits or bookings)
        every order counts as a purchase.

    Returns
    -------
    PurchaseOrders

    Raises
    ------
    MissingColumnsError
        The orders lack ``customer_col`` or ``datetime_col`` (a ``ValueError`` that names them).
    """
    require_columns(orders.columns, [customer_col, datetime_col], table="orders",
                    hint="Pass customer_col=, datetime_col= to name yours")
    day = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(orders[datetime_col])
    guest = orders[customer_col].isna().to_numpy()
    late = (dates >= day + pd.Timedelta(days=1)).to_numpy()
    if monetary_col in orders:
        amount = pd.to_numeric(orders[monetary_col]).to_numpy(dtype=float, na_value=np.nan)
        not_positive = ~(amount > 0)
    else:
        not_positive = np.zeros(len(orders), dtype=bool)
    keep = ~guest & ~late & ~not_positive
    return PurchaseOrders(
        orders=orders.loc[keep].reset_index(drop=True), as_of=day,
        guest_orders=int(guest.sum()), after_snapshot=int((late & ~guest).sum()),
        not_positive=int((not_positive & ~guest & ~late).sum()),
    )
