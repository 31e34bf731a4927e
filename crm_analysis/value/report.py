"""Assembly for the customer value report (notebook 03): inputs, tables and findings in words.

The notebook stays thin: it reads the cleaned orders, calls these helpers and the models, and
writes ``customer_value.parquet``. Nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.markup import Markup, join, md
from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.checks import HoldoutError
from crm_analysis.value.clv import customer_lifetime_value
from crm_analysis.value.pareto_nbd import ParetoNBD

__all__ = [
    "VALUE_TIERS",
    "HoldoutSplit",
    "PurchaseOrders",
    "customer_value_table",
    "holdout_split",
    "key_findings",
    "parameter_table",
    "purchase_orders",
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
        Column names.

    Returns
    -------
    PurchaseOrders
    """
    day = pd.Timestamp(snapshot).normalize()
    dates = pd.to_datetime(orders[datetime_col])
    guest = orders[customer_col].isna().to_numpy()
    late = (dates >= day + pd.Timedelta(days=1)).to_numpy()
    amount = pd.to_numeric(orders[monetary_col]).to_numpy(dtype=float, na_value=np.nan)
    not_positive = ~(amount > 0)
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

    Ties are broken by order (``rank(method="first")``), so tiers have their nominal sizes.

    Returns
    -------
    Series
        Categorical with categories :data:`VALUE_TIERS`.
    """
    n = len(clv)
    share = clv.rank(method="first", ascending=False).to_numpy() / max(n, 1)
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
        From :func:`~crm_analysis.value.rfm_scores`, indexed by customer id.
    summary : DataFrame
        :func:`crm_analysis.features.rfm_summary` at the snapshot, in the models' time unit.
    transaction_model : BetaGeo or ParetoNBD
        Fitted on ``summary``.
    spend_model : GammaGamma
        Fitted on ``summary``.
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
        in the horizon), ``expected_order_value`` (currency per purchase, Gamma-Gamma),
        ``expected_spend`` (undiscounted spend in the horizon, currency), ``clv`` (discounted,
        times margin, currency) and ``value_tier``.
    """
    s = summary.loc[scored.index]
    x, t_x, age = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    purchases = np.asarray(transaction_model.expected_purchases(horizon, x, t_x, age), float)
    order_value = np.asarray(spend_model.expected_average_spend(
        x, s["monetary_value"].to_numpy(dtype=float)), float)
    clv = customer_lifetime_value(transaction_model, spend_model, s, horizon=horizon,
                                  discount_rate=discount_rate, margin=margin)
    out = pd.DataFrame({
        "recency_score": scored["recency_score"],
        "frequency_score": scored["frequency_score"],
        "monetary_score": scored["monetary_score"],
        "segment": scored["segment"].astype("string"),
        "expected_purchases": purchases,
        "p_alive": np.asarray(transaction_model.probability_alive(x, t_x, age), float),
        "p_no_purchase": np.asarray(
            transaction_model.probability_no_purchase(horizon, x, t_x, age), float),
        "expected_order_value": order_value,
        "expected_spend": purchases * order_value,
        "clv": clv.to_numpy(),
    }, index=scored.index)
    out["value_tier"] = value_tiers(out["clv"]).astype("string")
    return out.rename_axis("customer_id").reset_index()


def key_findings(
    *,
    segments: pd.DataFrame,
    concentration: pd.DataFrame,
    gini_value: float,
    value: pd.DataFrame,
    holdout: HoldoutError | None,
    holdout_weeks: int,
    horizon_days: int,
) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers.

    Parameters
    ----------
    segments : DataFrame
        From :func:`~crm_analysis.value.segment_summary`.
    concentration : DataFrame
        From :func:`~crm_analysis.value.revenue_concentration` (rows "top 1%", "top 10%", ...).
    gini_value : float
        Gini coefficient of revenue per customer.
    value : DataFrame
        From :func:`customer_value_table`.
    holdout : HoldoutError or None
        The BG/NBD holdout check (None when the history was too short).
    holdout_weeks : int
        Length of the holdout, weeks.
    horizon_days : int
        CLV horizon, days.

    Returns
    -------
    list of Markup
        Markdown sentences.
    """
    n = len(value)
    out = [md("**{n:,} customers** bought at least once up to the snapshot.", n=n)]
    shares = concentration.set_index("top")["revenue_share"]
    if "top 10%" in shares and np.isfinite(shares["top 10%"]):
        parts = join(md("the top {top} of customers bring {share:.0%}", top=t[4:],
                         share=shares[t]) for t in shares.index)
        out.append(md("Revenue is concentrated: {parts} of revenue (Gini {gini:.2f}).",
                      parts=parts, gini=gini_value))
    seg = segments.set_index("segment")
    champions = seg.loc["Champions"]
    at_risk = seg.loc[["At Risk", "Can't Lose"]]
    out.append(md(
        "Champions are {champions[customer_share]:.0%} of customers and earned "
        "{champions[revenue_share]:.0%} of revenue; At Risk and Can't Lose customers (once "
        "frequent or big spenders who have not bought for a while) are {n_at_risk:,} customers "
        "with {share_at_risk:.0%} of revenue: the first list for win-back.",
        champions=champions, n_at_risk=at_risk["customers"].sum(),
        share_at_risk=at_risk["revenue_share"].sum()))
    if holdout is not None and np.isfinite(holdout.total_error):
        quality = ("close" if abs(holdout.total_error) < 0.05 else
                   "fair" if abs(holdout.total_error) < 0.15 else "poor")
        direction = "over" if holdout.total_error > 0 else "under"
        out.append(md(
            "On the last {weeks} weeks, held out from fitting, the BG/NBD model predicted "
            "{h.predicted_total:,.0f} repeat purchase days against {h.actual_total:,.0f} actual "
            "({error:.1%} {direction}; {quality} in total; per customer the mean absolute error "
            "is {h.mae:.2f} purchases).", weeks=holdout_weeks, h=holdout,
            error=abs(holdout.total_error), direction=direction, quality=quality))
    clv = value["clv"]
    total = float(clv.sum())
    top10 = float(clv[value["value_tier"] == "top 10%"].sum())
    out.append(md(
        "Over the next {days} days customers are expected to make {purchases:,.0f} purchases "
        "worth {total:,.0f} in present value (median CLV {median:,.2f}); the top 10% by CLV hold "
        "{top_share:.0%} of it.", days=horizon_days,
        purchases=value["expected_purchases"].sum(), total=total, median=clv.median(),
        top_share=top10 / total if total > 0 else float("nan")))
    return out


def fit_transaction_models(summary: pd.DataFrame, *, seed: int = 0
                           ) -> tuple[dict, list[Markup]]:
    """BG/NBD (always) and Pareto/NBD (when it converges) fitted to one summary.

    BG/NBD carries the report; Pareto/NBD is its comparison. A Pareto/NBD fit that does not
    converge on the data at hand is left out with a note instead of stopping the report.

    Returns
    -------
    (models, notes) : dict of name -> fitted model, list of Markdown sentences
    """
    models: dict = {"BG/NBD": BetaGeo(random_state=seed).fit(summary)}
    notes: list[Markup] = []
    try:
        models["Pareto/NBD"] = ParetoNBD(random_state=seed).fit(summary)
    except ConvergenceError as exc:
        notes.append(md("The Pareto/NBD comparison is left out: its fit did not converge "
                        "({reason}).", reason=exc))
    return models, notes
