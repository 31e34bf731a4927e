"""Money arithmetic shared by every layer: one rounding convention for order amounts.

An order system prices each line, rounds the line to cents, and adds the lines up. Doing the
same everywhere makes an order's amount independent of the order in which floats are summed, so
the generator, the loader and the cleaning step agree to the cent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_NUDGE = 1e-7
"""Added away from zero before rounding, so that 25.485 (stored as 25.48499...) gives 25.49."""


def round_cents(values):
    """Round currency amounts to cents, half away from zero (scalars, arrays or Series)."""
    return np.sign(values) * np.floor(np.abs(values) * 100.0 + 0.5 + _NUDGE) / 100.0


def line_value(quantity, unit_price, discount=0.0):
    """Net value of order lines, ``quantity x unit_price x (1 - discount)``, rounded to cents."""
    return round_cents(quantity * unit_price * (1.0 - discount))


def order_totals(order_ids: pd.Series, line_values: pd.Series) -> pd.Series:
    """Sum of (already rounded) line values per order id, exact to the cent.

    Returns a float Series indexed by order id; lines with a missing value are skipped, and an
    order whose lines are all missing gets NaN.
    """
    cents = pd.Series(np.rint(np.asarray(line_values, dtype="float64") * 100.0),
                      index=order_ids.index)
    return cents.groupby(order_ids, sort=False).sum(min_count=1) / 100.0


NO_AMOUNTS = ("This export has no order amounts (a log of visits, bookings or sessions): the "
              "reports count orders and customers and leave out everything measured in money.")
"""The one sentence every report shows when the orders carry no amounts."""


def has_amounts(orders: object) -> bool:
    """True when the orders carry money: an ``amount`` column (given, or derived by the loader
    from order lines). A log of visits or bookings has none, and the loader drops an amount
    column without a single value. ``orders`` is a DataFrame or anything with ``columns``."""
    return "amount" in getattr(orders, "columns", ())



def currency_code(value: object) -> str | None:
    """The ISO 4217 code a user gave (``"eur"`` is ``"EUR"``), or None for no value.

    Raises
    ------
    ValueError
        The value is not three letters (a symbol such as "€" is not a code).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = str(value).strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"currency {value!r} is not a three-letter ISO 4217 code such as EUR, "
                         "USD or GBP")
    return code
