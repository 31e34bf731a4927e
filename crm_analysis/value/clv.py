"""Customer lifetime value from a transaction model and a spend model.

Following Fader, Hardie & Lee (2005b, "RFM and CLV", JMR 42(4)) in discrete steps: the horizon is
cut into steps of ``step`` time units; the expected number of purchases in step k is the
difference of the conditional expectation E[Y(t)] at the step's end and start; each step's
purchases are valued at the expected spend per transaction (Gamma-Gamma), multiplied by the
margin, and discounted to the present from the step's end:

    CLV = margin * E[M] * sum_k (E[Y(t_k)] - E[Y(t_{k-1})]) / (1 + d)^(t_k),
    t_k = min(k * step, horizon),

with d the discount rate *per time unit of the summary* (e.g. per week when recency and T are in
weeks). An annual rate d_year converts to a weekly one as (1 + d_year) ** (7 / 365.25) - 1
(:func:`per_period_rate`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["customer_lifetime_value", "per_period_rate"]


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """Convert an annual discount rate to the equivalent compound rate per period.

    Parameters
    ----------
    annual_rate : float
        E.g. 0.10 for 10% a year.
    periods_per_year : float
        365.25 / 7 for weeks, 365.25 for days, 12 for months.

    Returns
    -------
    float
        Rate per period, (1 + annual_rate) ** (1 / periods_per_year) - 1.
    """
    return (1.0 + annual_rate) ** (1.0 / periods_per_year) - 1.0


def customer_lifetime_value(
    transaction_model,
    spend_model,
    summary: pd.DataFrame,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
    step: float = 1.0,
    order_value: np.ndarray | None = None,
) -> pd.Series:
    """Discounted expected value of each customer's purchases over the next ``horizon``.

    Parameters
    ----------
    transaction_model : BetaGeo or ParetoNBD
        Fitted; provides ``expected_purchases(t, frequency, recency, T)``.
    spend_model : GammaGamma
        Fitted; provides ``expected_average_spend(frequency, monetary_value)`` (customers with no
        repeat purchase get the population mean).
    summary : DataFrame
        ``frequency``, ``recency``, ``T`` (same time unit as the fit) and ``monetary_value``.
    horizon : float
        How far ahead, in the summary's time unit (e.g. 52 for a year in weeks).
    discount_rate : float
        Discount rate per time unit of the summary, compounded per time unit (see
        :func:`per_period_rate` to convert an annual rate). 0 means no discounting.
    margin : float, default 1.0
        Profit margin applied to spend (1.0 gives revenue).
    step : float, default 1.0
        Step length in time units; the last step is shortened to end at ``horizon``.
    order_value : array, optional
        Expected value of each customer's future orders, currency, in the order of ``summary``;
        replaces ``spend_model`` (which may then be None), e.g. the customer's own average.

    Returns
    -------
    Series
        Present value per customer in currency units, indexed like ``summary``, named ``clv``.
    """
    if not horizon > 0 or not step > 0:
        raise ValueError("horizon and step must be > 0")
    if discount_rate <= -1:
        raise ValueError("discount_rate must be > -1 (per time unit of the summary)")
    missing = [c for c in ("frequency", "recency", "T", "monetary_value") if c not in summary]
    if missing:
        raise ValueError(f"summary is missing column(s) {missing}")
    x = summary["frequency"].to_numpy(dtype=float)
    t_x = summary["recency"].to_numpy(dtype=float)
    age = summary["T"].to_numpy(dtype=float)
    if order_value is not None:
        spend = np.asarray(order_value, dtype=float)
    else:
        spend = spend_model.expected_average_spend(
            x, summary["monetary_value"].to_numpy(dtype=float))

    n_steps = math.ceil(horizon / step - 1e-12)
    ends = np.minimum(np.arange(1, n_steps + 1) * step, horizon)
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for end in ends:  # a loop over steps (tens), each vectorised over customers
        current = transaction_model.expected_purchases(end, x, t_x, age)
        value += (current - previous) / (1.0 + discount_rate) ** end
        previous = current
    return pd.Series(margin * spend * value, index=summary.index, name="clv")
