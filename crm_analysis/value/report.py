"""Assembly for the customer value report (notebook 03): inputs, tables and findings in words.

The notebook stays thin: it reads the cleaned orders, calls these helpers and the models, and
writes ``customer_value.parquet``. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.columns import require_columns
from crm_analysis.features.time_units import same_period
from crm_analysis.value.clv import customer_lifetime_value

__all__ = [
    "VALUE_TIERS",
    "HoldoutSplit",
    "PurchaseOrders",
    "customer_value_table",
    "empirical_value_table",
    "holdout_split",
    "parameter_table",
    "purchase_orders",
    "tier_table",
    "top_customers",
    "value_tiers",
]

VALUE_TIERS: tuple[str, ...] = ("top 10%", "next 10%", "next 30%", "bottom 50%")
"""CLV tiers by rank, best first (upper rank bounds 10%, 20%, 50%, 100%)."""


@dataclass(frozen=True)
class PurchaseOrders:
    """The orders the value analysis uses, and what was left out.

    Attributes
    ----------
    orders : DataFrame
        Orders with a customer id, on or before the snapshot day, with a positive net amount.
    snapshot : Timestamp
        The snapshot day (midnight); orders during that day count.
    guest_orders, after_snapshot, not_positive : int
        Orders left out: without customer id, dated after the snapshot day, with a net amount
        of 0 or less (fully cancelled or returned).
    """

    orders: pd.DataFrame
    snapshot: pd.Timestamp
    guest_orders: int
    after_snapshot: int
    not_positive: int


def purchase_orders(
    orders: pd.DataFrame,
    snapshot: object,
    *,
    customer_col: str = "customer_id",
    datetime_col: str = "order_date",
    monetary_col: str = "amount",
) -> PurchaseOrders:
    """Keep the customer purchases up to the end of the snapshot day.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders (``customer_id``, ``order_date``, ``amount``, any other columns).
    snapshot : date-like
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
    day = pd.Timestamp(snapshot).normalize()
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
        orders=orders.loc[keep].reset_index(drop=True), snapshot=day,
        guest_orders=int(guest.sum()), after_snapshot=int((late & ~guest).sum()),
        not_positive=int((not_positive & ~guest & ~late).sum()),
    )


@dataclass(frozen=True)
class HoldoutSplit:
    """Where calibration ends: ``calibration_end`` (inclusive day) and the holdout length."""

    calibration_end: pd.Timestamp
    holdout_weeks: int
    shortened: bool


def holdout_split(first_purchase: object, snapshot: object, holdout_weeks: int) -> HoldoutSplit:
    """Calibration end ``holdout_weeks`` before the snapshot, shortened for short histories.

    The holdout is shortened (to whole weeks) so that the calibration period is at least as long
    as the holdout: a model fitted on a few weeks says little about a year.

    Parameters
    ----------
    first_purchase : date-like
        Earliest order date.
    snapshot : date-like
        Snapshot day (end of the holdout, inclusive).
    holdout_weeks : int
        Wanted holdout length in weeks.

    Returns
    -------
    HoldoutSplit
    """
    day = pd.Timestamp(snapshot).normalize()
    history_days = (day - pd.Timestamp(first_purchase).normalize()).days + 1
    weeks = min(int(holdout_weeks), history_days // 14)
    if weeks < 1:
        raise ValueError(f"{history_days} day(s) of history: too short for a holdout check")
    return HoldoutSplit(day - pd.Timedelta(weeks=weeks), weeks, weeks < holdout_weeks)


def parameter_table(models: Mapping[str, object], *, time_unit: str = "weeks") -> pd.DataFrame:
    """Fitted parameters with 95% intervals and units, one row per model parameter.

    Parameters
    ----------
    models : mapping of name to fitted model
        Each with ``confidence_intervals_`` (columns estimate, standard_error, lower, upper).
    time_unit : str, default "weeks"
        Time unit of the transaction models' summaries: the unit of alpha and beta (rates of
        gamma distributions of purchase and dropout rates per time unit).

    Returns
    -------
    DataFrame
        ``model``, ``parameter``, ``estimate``, ``lower``, ``upper`` (95%), ``unit``.
    """
    units = {"alpha": time_unit, "beta": time_unit, "gamma": "currency"}
    frames = [
        ci.rename_axis("parameter").reset_index().assign(model=name)
        for name, ci in ((n, m.confidence_intervals_) for n, m in models.items())
    ]
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = out["parameter"].map(units).fillna("shape (no unit)")
    return out[["model", "parameter", "estimate", "lower", "upper", "unit"]]


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
    purchases = np.asarray(transaction_model.expected_purchases(horizon, x, t_x, age), float)
    money = "monetary_value" in s
    if not money:
        order_value = np.full(len(s), np.nan)
        clv = pd.Series(order_value, index=s.index)
    elif spend_model is not None:
        order_value = np.asarray(spend_model.expected_average_spend(
            x, s["monetary_value"].to_numpy(dtype=float)), float)
    else:
        order_value = (scored["revenue"] / scored["orders"]).to_numpy(dtype=float)
    if money:
        clv = customer_lifetime_value(transaction_model, spend_model, s, horizon=horizon,
                                      discount_rate=discount_rate, margin=margin,
                                      order_value=order_value)
    out = pd.DataFrame({
        **_scores(scored),
        "expected_purchases": purchases,
        "p_alive": np.asarray(transaction_model.probability_alive(x, t_x, age), float),
        "p_no_purchase": np.asarray(
            transaction_model.probability_no_purchase(horizon, x, t_x, age), float),
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


def empirical_value_table(scored: pd.DataFrame, orders: pd.DataFrame, snapshot: object, *,
                          horizon_days: int, margin: float = 1.0) -> tuple[pd.DataFrame, int]:
    """The customer table when the purchase models cannot be used: the last period's spend.

    Each customer's value is what she spent in the last ``horizon_days`` up to the snapshot (or
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
    day = pd.Timestamp(snapshot).normalize()
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

