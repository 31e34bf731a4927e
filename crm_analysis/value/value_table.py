"""The customer value table: one row per customer with RFM scores, predictions and value.

Two ways to fill it, and the table says which in ``clv_basis``: :func:`customer_value_table`
from the fitted models (``"model"``), :func:`empirical_value_table` from the spend of the last
period when the models cannot be used (``"empirical"``). Both share the columns and the value
tiers of :mod:`crm_analysis.value.tiers`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.features.time_units import same_period
from crm_analysis.value.clv import customer_lifetime_value
from crm_analysis.value.tiers import value_tiers

__all__ = ["customer_value_table", "empirical_value_table"]


def customer_value_table(
    scored: pd.DataFrame,
    summary: pd.DataFrame,
    transaction_model,
    spend_model,
    *,
    horizon: float,
    discount_rate: float,
    margin: float = 1.0,
) -> pd.DataFrame:
    """One row per customer: RFM scores and segment, model predictions and CLV.

    Parameters
    ----------
    scored : DataFrame
        From :func:`~crm_analysis.value.rfm_scores`, indexed by customer id (``orders``,
        ``revenue``).
    summary : DataFrame
        :func:`crm_analysis.features.rfm_summary` at the snapshot, in the models' time unit.
    transaction_model : BetaGeo or ParetoNBD
        Fitted on ``summary``.
    spend_model : GammaGamma or None
        Fitted on ``summary``; None uses each customer's own average order value instead.
    horizon : float
        Prediction horizon in the summary's time unit (e.g. 365 / 7 weeks).
    discount_rate : float
        Discount rate per time unit of the summary (see ``per_period_rate``).
    margin : float, default 1.0
        Profit margin applied to spend in the CLV.

    Returns
    -------
    DataFrame
        ``customer_id``, ``recency_score``, ``frequency_score``, ``monetary_score``, ``segment``,
        ``expected_purchases`` (purchase days in the horizon), ``p_alive`` (BG/NBD: 1 for
        customers without a repeat purchase, not a churn score), ``p_no_purchase`` (no purchase
        in the horizon), ``expected_order_value`` (currency per purchase, Gamma-Gamma or the
        customer's own average), ``expected_spend`` (undiscounted spend in the horizon, currency),
        ``clv`` (discounted, times margin, currency), ``value_tier`` and ``clv_basis``
        (``"model"``). A summary without ``monetary_value`` (a log without amounts) leaves the
        money columns empty (NaN) and ranks the tiers by expected purchases.

    Raises
    ------
    ValueError
        ``summary`` is in another time unit than the one ``transaction_model`` was fitted on
        (both recorded by :func:`~crm_analysis.features.rfm_summary`).
    """
    same_period(getattr(transaction_model, "period_days_", None), summary,
                model=type(transaction_model).__name__)
    s = summary.loc[scored.index]
    x, t_x, age = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    purchases = transaction_model.expected_purchases(horizon, x, t_x, age)
    money = "monetary_value" in s
    if not money:
        order_value = np.full(len(s), np.nan)
        clv = pd.Series(order_value, index=s.index)
    elif spend_model is not None:
        order_value = spend_model.expected_average_spend(
            x, s["monetary_value"].to_numpy(dtype=float))
    else:
        order_value = (scored["revenue"] / scored["orders"]).to_numpy(dtype=float)
    if money:
        clv = customer_lifetime_value(transaction_model, spend_model, s, horizon=horizon,
                                      discount_rate=discount_rate, margin=margin,
                                      order_value=order_value)
    out = pd.DataFrame({
        **_scores(scored),
        "expected_purchases": purchases,
        "p_alive": transaction_model.probability_alive(x, t_x, age),
        "p_no_purchase": transaction_model.probability_no_purchase(horizon, x, t_x, age),
        "expected_order_value": order_value,
        "expected_spend": purchases * order_value,
        "clv": clv.to_numpy(),
    }, index=scored.index)
    out["value_tier"] = value_tiers(out["clv" if money else "expected_purchases"]
                                    ).astype("string")
    out["clv_basis"] = "model"
    return out.rename_axis("customer_id").reset_index()


def _scores(scored: pd.DataFrame) -> dict[str, pd.Series]:
    return {"recency_score": scored["recency_score"],
            "frequency_score": scored["frequency_score"],
            "monetary_score": scored["monetary_score"],
            "segment": scored["segment"].astype("string")}


def empirical_value_table(scored: pd.DataFrame, orders: pd.DataFrame, as_of: object, *,
                          horizon_days: int, margin: float = 1.0) -> tuple[pd.DataFrame, int]:
    """The customer table when the purchase models cannot be used: the last period's spend.

    Each customer's value is what she spent in the last ``horizon_days`` up to ``as_of`` (or
    in the whole history, when it is shorter), times the margin: an empirical value, not a
    forecast (the simple rule a forecast has to beat). Model columns are empty (NaN). Orders
    without ``amount`` (a log without amounts) leave the money columns empty too and rank the
    tiers by the purchases in the window.

    Returns
    -------
    (DataFrame, int)
        The columns of :func:`customer_value_table` with ``clv_basis`` ``"empirical"``, and the
        window in days.
    """
    day = pd.Timestamp(as_of).normalize()
    first = pd.to_datetime(orders["order_date"]).min() if len(orders) else day
    window = int(min(horizon_days, (day - first.normalize()).days + 1)) if len(orders) else 0
    start = day - pd.Timedelta(days=window - 1)
    recent = orders[(pd.to_datetime(orders["order_date"]) >= start).to_numpy(bool)]
    money = "amount" in recent
    count = recent.groupby("customer_id", sort=False).size()
    spent = np.full(len(scored), np.nan)
    if money:
        spend = recent.groupby("customer_id", sort=False)["amount"].sum()
        spent = spend.reindex(scored.index).fillna(0.0).to_numpy(dtype=float)
    out = pd.DataFrame({
        **_scores(scored),
        "expected_purchases": count.reindex(scored.index).fillna(0).to_numpy(dtype=float),
        "p_alive": np.nan,
        "p_no_purchase": np.nan,
        "expected_order_value": (scored["revenue"] / scored["orders"]).to_numpy(dtype=float),
        "expected_spend": spent,
        "clv": margin * spent,
    }, index=scored.index)
    out["value_tier"] = value_tiers(out["clv" if money else "expected_purchases"]
                                    ).astype("string")
    out["clv_basis"] = "empirical"
    return out.rename_axis("customer_id").reset_index(), window
