"""Everything notebook 03 shows, computed in one call that never stops on valid data.

:func:`analyse` scores RFM segments and revenue concentration (any data), fits the purchase models
(BG/NBD, Pareto/NBD) and the spend model (Gamma-Gamma) where the data can support them
(:mod:`~crm_analysis.value.fits`), checks them on a holdout that fits the history
(:mod:`~crm_analysis.value.holdout`), and values every customer
(:mod:`~crm_analysis.value.value_table`). Where a step cannot run it says so in one sentence
(``skipped``) and the report goes on; when the models cannot be used the customer table carries an
empirical value, stated as such, instead of a model CLV.

The words (:mod:`~crm_analysis.value.findings`), the verdict, the win-back list and the headline
metrics read the :class:`ValueAnalysis` this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis import features
from crm_analysis.columns import CONTRACT_NAMES, require_columns
from crm_analysis.engines import EngineConfig
from crm_analysis.features.time_units import DAYS_PER_WEEK, WEEKS_PER_YEAR
from crm_analysis.markup import Markup, md
from crm_analysis.money import has_amounts
from crm_analysis.value.clv import per_period_rate
from crm_analysis.value.concentration import gini, lorenz_curve, revenue_concentration
from crm_analysis.value.fits import Fits, fit_models
from crm_analysis.value.holdout import HoldoutCheck, check_on_holdout
from crm_analysis.value.purchases import PurchaseOrders, purchase_orders
from crm_analysis.value.rfm_segments import rfm_scores, segment_summary
from crm_analysis.value.value_table import customer_value_table, empirical_value_table

__all__ = ["ValueAnalysis", "analyse"]


@dataclass
class ValueAnalysis:
    """Everything notebook 03 shows (see :func:`analyse`).

    Attributes
    ----------
    data : PurchaseOrders
        The purchases analysed and what was left out.
    rfm, segments : DataFrame
        RFM scores per customer and the segment summary.
    concentration, lorenz : DataFrame
        Revenue shares of the top customers and the Lorenz curve; ``gini`` the coefficient.
    summary : DataFrame
        The RFM summary in weeks at the snapshot.
    fits : Fits
        The models fitted on the whole history.
    holdout : HoldoutCheck or None
        The check on held-out weeks; None with the reason in ``holdout_reason``.
    holdout_reason : Markup or None
        Why there is no holdout check, in one sentence.
    customer_value : DataFrame
        One row per customer (see :func:`~crm_analysis.value.customer_value_table` and
        :func:`~crm_analysis.value.empirical_value_table`); ``clv_basis`` says which.
    basis : Markup
        How the value of a customer was computed, in one sentence.
    skipped : list of Markup
        One sentence per section that could not run.
    has_amounts : bool
        False for a log without amounts: there is no revenue, spend model or value in money,
        and ``customer_value`` ranks customers by expected purchases.
    """

    data: PurchaseOrders
    rfm: pd.DataFrame
    segments: pd.DataFrame
    concentration: pd.DataFrame
    lorenz: pd.DataFrame
    gini: float
    summary: pd.DataFrame
    fits: Fits
    holdout: HoldoutCheck | None
    holdout_reason: Markup | None
    customer_value: pd.DataFrame
    basis: Markup
    horizon_days: int
    skipped: list[Markup]
    has_amounts: bool = True

    @property
    def orders(self) -> pd.DataFrame:
        """The purchases analysed."""
        return self.data.orders


def analyse(
    orders: pd.DataFrame,
    as_of: object,
    *,
    holdout_weeks: int = 52,
    clv_horizon_days: int = 365,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    seed: int = 0,
    engine: EngineConfig | str | None = None,
) -> ValueAnalysis:
    """Segments, concentration, models, holdout check and customer values as of ``as_of``.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders (``customer_id``, ``order_date``, ``amount``). Without ``amount`` (a
        log of visits or bookings) the segments read recency and frequency, the purchase models
        and their holdout check run, and everything in money (revenue concentration, the spend
        model, customer lifetime value) is skipped with a sentence saying so; the customer
        table then ranks customers by expected purchases.
    as_of : date-like
        Analysis day, inclusive.
    holdout_weeks : int
        Wanted holdout length in weeks; shortened so the calibration period is at least as long.
    clv_horizon_days : int
        How far ahead the value looks, days.
    annual_discount_rate : float
        Yearly discount rate of future spend.
    margin : float
        Profit share of spend in the value.
    seed : int
        Random state of the model fits.
    engine : EngineConfig or str, optional
        What scans the orders into customer summaries (default pandas; see
        :mod:`crm_analysis.engines`).

    Returns
    -------
    ValueAnalysis
        Never raises on orders that meet the contract.
    """
    require_columns(orders.columns, ["customer_id", "order_date"], table="orders",
                    hint=CONTRACT_NAMES)
    data = purchase_orders(orders, as_of)
    purchases, day = data.orders, data.as_of
    money = "amount" if has_amounts(orders) else None
    skipped: list[Markup] = []  # without amounts the basis sentence says so
    rfm = rfm_scores(features.customer_rfm(purchases, as_of=day, monetary_col=money,
                                           engine=engine),
                     monetary="revenue" if money else None)
    revenue = rfm["revenue"] if money else rfm["revenue"].iloc[:0]
    summary = features.rfm_summary(purchases, as_of=day, time_unit="D",
                                   time_scaler=DAYS_PER_WEEK, monetary_col=money,
                                   engine=engine)
    if purchases.empty:
        fits = Fits(notes=[md("No customer made a purchase up to the snapshot: there is nothing "
                              "to value.")])
        holdout, reason = None, fits.notes[0]
    else:
        fits = fit_models(summary, seed=seed)
        holdout, reason = check_on_holdout(purchases, day, holdout_weeks, seed, money,
                                           engine=engine)
    if reason is not None:
        skipped.append(reason)
    horizon = clv_horizon_days / DAYS_PER_WEEK
    value = None
    if holdout is not None and not holdout.model_earns_its_place:
        fits.notes.append(md(
            "{name} does not beat the simple rate rule on the holdout (mean absolute error per "
            "customer {model:.3f} against {rule:.3f} purchases): the empirical value is used.",
            name=next(iter(holdout.accuracy)), model=holdout.carrying.mae, rule=holdout.rule.mae))
    elif fits.purchases is not None:
        rate = per_period_rate(annual_discount_rate, WEEKS_PER_YEAR)
        value = customer_value_table(rfm, summary, fits.purchases, fits.spend, horizon=horizon,
                                     discount_rate=rate, margin=margin)
        if not np.isfinite(value["clv" if money else "expected_purchases"]
                           .to_numpy(dtype=float)).all():
            fits.notes.append(md("{name}'s customer values are not all finite (a fit at the edge "
                                 "of its parameter space): the empirical value is used.",
                                 name=next(iter(fits.transaction))))
            value = None
    if value is not None and not money:
        basis = md("There is no value in money: the orders carry no amounts. Customers are "
                   "ranked by {model}'s expected purchases over the next {days} days.",
                   model=next(iter(fits.transaction)), days=clv_horizon_days)
    elif value is not None:
        spend_words = ("Gamma-Gamma's expected order value" if fits.spend is not None else
                       "each customer's own average order value (the spend model could not be "
                       "fitted)")
        basis = md("Customer value is {model}'s expected purchases over the next {days} days "
                   "times {spend}, discounted at {rate:.0%} a year and multiplied by the margin "
                   "{margin:g}.", model=next(iter(fits.transaction)), days=clv_horizon_days,
                   spend=Markup(spend_words), rate=annual_discount_rate, margin=margin)
    elif not money:
        value, window = empirical_value_table(rfm, purchases, day, horizon_days=clv_horizon_days,
                                              margin=margin)
        basis = md("There is no value in money: the orders carry no amounts. Customers are "
                   "ranked by their purchases in the last {window} days, because the purchase "
                   "models could not be used on this data or did not beat the simple rate rule.",
                   window=window)
    else:
        value, window = empirical_value_table(rfm, purchases, day, horizon_days=clv_horizon_days,
                                              margin=margin)
        basis = md("Customer value is an **empirical value, not a forecast**: each customer's "
                   "spend in the last {window} days times the margin {margin:g}, because the "
                   "purchase models could not be used on this data or did not beat the simple "
                   "rate rule.", window=window,
                   margin=margin)
        skipped.append(md("Model-based customer lifetime value is replaced by the spend of the "
                          "last {window} days (see below).", window=window))
    return ValueAnalysis(
        data=data, rfm=rfm, segments=segment_summary(rfm, monetary="revenue" if money else None),
        concentration=revenue_concentration(revenue), lorenz=lorenz_curve(revenue),
        gini=gini(revenue) if len(revenue) else float("nan"), summary=summary, fits=fits,
        holdout=holdout, holdout_reason=reason, customer_value=value, basis=basis,
        horizon_days=clv_horizon_days, skipped=skipped, has_amounts=money is not None,
    )
