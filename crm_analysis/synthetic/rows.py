"""Numeric row sets (dicts of equal-length numpy arrays) and their conversion to contract tables.

Orders and order lines stay numeric (order numbers, product positions, minutes) until the very
end, where ids and dates become strings in one vectorised pass each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crm_analysis.synthetic.config import NON_PRODUCT_IDS, ORDER_CHANNELS, SyntheticConfig
from crm_analysis.synthetic.ids import categorical_strings, id_array, string_series
from crm_analysis.synthetic.timegrid import format_minutes, to_timestamps

Rows = dict[str, np.ndarray]

ORDER_BASE = 5_000_001
"""Number of the first order id."""
ORPHAN_ORDER_BASE = 90_000_001
"""Order numbers of order lines whose order does not exist."""
ORPHAN_CANCEL_BASE = 4_000_001
"""Order numbers of cancellations whose original is not in the data (before the period)."""
STATUSES = ("completed", "cancelled", "returned")
NON_PRODUCT_CODES = (-1, -2, -3)
"""Product codes of POST, FEE, ADJ lines (product positions are >= 0)."""
ORPHAN_PRODUCT_BASE = 89_999
"""Product positions >= this are products that do not exist (ids P9xxxx)."""


def concat(*parts: Rows) -> Rows:
    """Concatenate row sets with the same columns (each column keeps the first part's dtype)."""
    return {
        k: np.concatenate([p[k] for p in parts]).astype(parts[0][k].dtype, copy=False)
        for k in parts[0]
    }


def take(rows: Rows, idx: np.ndarray) -> Rows:
    """Rows at positions ``idx`` (a copy)."""
    return {k: v[idx] for k, v in rows.items()}


def n_rows(rows: Rows) -> int:
    return len(next(iter(rows.values())))


def order_id_array(num: np.ndarray, is_c: np.ndarray) -> pa.Array:
    """Order numbers as id strings, ``C`` prefix on cancellation/return rows."""
    plain = id_array("", num)
    if not is_c.any():
        return plain
    prefix = pa.array(["", "C"], pa.string()).take(pa.array(is_c.astype(np.int8)))
    return pc.binary_join_element_wise(prefix, plain, "")


def order_id_series(num: np.ndarray, is_c: np.ndarray) -> pd.Series:
    return string_series(order_id_array(num, is_c))


def product_id_series(product: np.ndarray) -> pd.Series:
    """Product positions as ``P00001`` ids; negative codes as POST / FEE / ADJ.

    Built from a lookup table of the distinct codes (a few hundred), then one ``take``.
    """
    codes, inverse = np.unique(product, return_inverse=True)
    names = id_array("P", np.maximum(codes, 0) + 1, 5).to_pylist()
    for i, code in enumerate(codes[codes < 0]):
        names[i] = NON_PRODUCT_IDS[-int(code) - 1]
    return string_series(pa.array(names, pa.string()).take(pa.array(inverse.astype(np.int32))))


def customer_id_series(customer: np.ndarray) -> pd.Series:
    """Customer indices as ``CU0000001`` ids; -1 (guest) as missing."""
    ids = id_array("CU", np.maximum(customer, 0) + 1, 7)
    return string_series(pc.if_else(pa.array(customer < 0), pa.scalar(None, pa.string()), ids))


def orders_frame(cfg: SyntheticConfig, rows: Rows, date_strings: bool) -> pd.DataFrame:
    """Contract ``orders`` table; ``order_date`` as strings (format per ``fmt``) if asked."""
    if date_strings:
        order_date = string_series(format_minutes(cfg, rows["minute"], rows["fmt"]))
    else:
        order_date = pd.Series(to_timestamps(cfg, rows["minute"]))
    return pd.DataFrame(
        {
            "order_id": order_id_series(rows["num"], rows["is_c"]),
            "customer_id": customer_id_series(rows["customer"]),
            "order_date": order_date,
            "amount": rows["amount"].astype(float),
            "channel": categorical_strings(ORDER_CHANNELS, rows["channel"]),
            "status": categorical_strings(STATUSES, rows["status"]),
        },
        copy=False,
    )


def items_frame(rows: Rows) -> pd.DataFrame:
    """Contract ``order_items`` table."""
    return pd.DataFrame(
        {
            "order_id": order_id_series(rows["num"], rows["is_c"]),
            "product_id": product_id_series(rows["product"]),
            "quantity": rows["qty"].astype(float),
            "unit_price": rows["price"].astype(float),
            "discount": rows["discount"].astype(float),
        },
        copy=False,
    )
