"""Everything notebook 03 shows, computed in one call that never stops on valid data.

:func:`analyse` scores RFM segments and revenue concentration (any data), fits the purchase models
(BG/NBD, Pareto/NBD) and the spend model (Gamma-Gamma) where the data can support them, checks them
on a holdout that fits the history, and values every customer. Where a step cannot run it says so
in one sentence (``skipped``) and the report goes on; when the models cannot be used the customer
table carries an empirical value, stated as such, instead of a model CLV.

Requirements (module constants, so the notebook and the docs quote the same numbers):
:data:`MIN_CUSTOMERS` customers and :data:`MIN_REPEAT_BUYERS` customers with a repeat purchase for
the purchase models and for Gamma-Gamma; :data:`MIN_HOLDOUT_WEEKS` weeks for a holdout, which is
at most as long as the calibration period before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis import features
from crm_analysis.columns import CONTRACT_NAMES, require_columns
from crm_analysis.features.time_units import DAYS_PER_WEEK, WEEKS_PER_YEAR
from crm_analysis.limits import NOT_RELIABLE, RELIABLE, USE_WITH_CARE, Verdict
from crm_analysis.markup import Markup, escape, join, md, plain
from crm_analysis.money import has_amounts
from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.checks import (
    HoldoutError,
    holdout_error,
    holdout_predictions,
    tracking,
)
from crm_analysis.value.clv import per_period_rate
from crm_analysis.value.concentration import gini, lorenz_curve, revenue_concentration
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.pareto_nbd import ParetoNBD
from crm_analysis.value.report import (
    HoldoutSplit,
    PurchaseOrders,
    customer_value_table,
    empirical_value_table,
    holdout_split,
    purchase_orders,
)
from crm_analysis.value.rfm_segments import rfm_scores, segment_summary

__all__ = [
    "MIN_CUSTOMERS",
    "MIN_HOLDOUT_WEEKS",
    "MIN_REPEAT_BUYERS",
    "Fits",
    "HoldoutCheck",
    "ValueAnalysis",
    "analyse",
    "fit_models",
    "headline_metrics",
    "holdout_sentence",
    "key_findings",
    "model_parameters",
    "parameter_sentence",
    "rate_rule",
    "verdict",
]

MIN_CUSTOMERS = 20
"""Fewest customers the purchase models are fitted on."""

MIN_REPEAT_BUYERS = 10
"""Fewest customers with a repeat purchase for the purchase models and for Gamma-Gamma: the
models learn the buying rate, the dropout and the spend from repeat purchases."""

MIN_HOLDOUT_WEEKS = 4
"""Shortest holdout worth checking the models on; the calibration period before it is at least
as long, so the history must span twice this."""


TRANSACTION_MODELS = {"BG/NBD": BetaGeo, "Pareto/NBD": ParetoNBD}
"""The purchase models, the one that carries the report first."""


@dataclass
class Fits:
    """Models fitted on one summary: those that could be used, and what to know about them.

    Attributes
    ----------
    transaction : dict
        Name -> fitted purchase model, in the order of :data:`TRANSACTION_MODELS`; empty when
        none could be fitted.
    spend : GammaGamma or None
        The spend model, None when it could not be fitted.
    notes : list of Markup
        One sentence per model that was left out or has something to say about its fit.
    """

    transaction: dict[str, object] = field(default_factory=dict)
    spend: GammaGamma | None = None
    notes: list[Markup] = field(default_factory=list)

    @property
    def purchases(self):
        """The model that carries the report (BG/NBD when fitted, else the first fitted)."""
        return next(iter(self.transaction.values()), None)


def _model_gap(summary: pd.DataFrame, *, spend: bool = False) -> str | None:
    """Why the models cannot be fitted on ``summary``, in words, or None."""
    customers = len(summary)
    repeat = summary["frequency"] > 0
    if spend:
        repeat &= summary["monetary_value"] > 0
    repeaters = int(repeat.sum())
    if not spend and customers < MIN_CUSTOMERS:
        return f"at least {MIN_CUSTOMERS} customers are needed and the data has {customers:,}"
    if repeaters < MIN_REPEAT_BUYERS:
        return (f"at least {MIN_REPEAT_BUYERS} customers who bought again are needed (the "
                f"models learn from repeat purchases) and the data has {repeaters:,}")
    return None


def _failure(name: str, exc: Exception) -> Markup:
    problems = getattr(exc, "problems", ()) or (str(exc),)
    return md("{name} could not be fitted on this data: {why}.", name=name,
              why="; ".join(problems))


def fit_models(summary: pd.DataFrame, *, seed: int = 0) -> Fits:
    """Fit the purchase models and Gamma-Gamma where the data supports them.

    Parameters
    ----------
    summary : DataFrame
        :func:`crm_analysis.features.rfm_summary` (``frequency``, ``recency``, ``T``,
        ``monetary_value``), any time unit.
    seed : int
        Random state of the extra starting points.

    Returns
    -------
    Fits
        Never raises on a valid summary: a model that cannot be fitted is left out with a note.
    """
    fits = Fits()
    gap = _model_gap(summary)
    if gap:
        fits.notes.append(md("The purchase models (BG/NBD, Pareto/NBD) are not fitted: {gap}.",
                             gap=gap))
    else:
        for name, model_class in TRANSACTION_MODELS.items():
            try:
                model = model_class(random_state=seed).fit(summary)
            except ConvergenceError as exc:
                fits.notes.append(_failure(name, exc))
                continue
            fits.transaction[name] = model
            fits.notes.extend(escape(note) for note in model.notes_)
    if "monetary_value" not in summary:
        fits.notes.append(md("The spend model (Gamma-Gamma) is not fitted: the orders carry no "
                             "amounts."))
        return fits
    spend_gap = _model_gap(summary, spend=True)
    if spend_gap:
        fits.notes.append(md("The spend model (Gamma-Gamma) is not fitted: {gap}.", gap=spend_gap))
        return fits
    try:
        fits.spend = GammaGamma(random_state=seed).fit(summary)
        fits.notes.extend(escape(note) for note in fits.spend.notes_)
    except (ConvergenceError, ValueError) as exc:
        fits.notes.append(_failure("Gamma-Gamma", exc))
    return fits


@dataclass
class HoldoutCheck:
    """The purchase models refitted on the calibration period and checked on the holdout.

    Attributes
    ----------
    split : HoldoutSplit
    summary : DataFrame
        :func:`crm_analysis.features.calibration_holdout` in weeks.
    fits : Fits
        The models fitted on the calibration period.
    predictions : DataFrame
        :func:`~crm_analysis.value.holdout_predictions`.
    errors : dict
        Model name -> :class:`~crm_analysis.value.HoldoutError`.
    weekly : DataFrame
        :func:`~crm_analysis.value.tracking` of the first model, week by week.
    rule : HoldoutError or None
        The simple rate rule on the same holdout (:func:`rate_rule`): the bar the purchase
        model must clear.
    """

    split: HoldoutSplit
    summary: pd.DataFrame
    fits: Fits
    predictions: pd.DataFrame
    errors: dict[str, HoldoutError]
    weekly: pd.DataFrame
    rule: HoldoutError | None = None

    @property
    def model_earns_its_place(self) -> bool:
        """Whether the carrying model's per-customer error beats the rate rule's."""
        return self.rule is None or self.error.mae < self.rule.mae

    @property
    def error(self) -> HoldoutError:
        """The error of the model that carries the report."""
        return next(iter(self.errors.values()))


def rate_rule(cal_hold: pd.DataFrame) -> np.ndarray:
    """The simple rule for holdout purchases: each customer's repeat purchases per week of the
    calibration period, carried over the holdout (``frequency / T x duration_holdout``)."""
    age = np.maximum(cal_hold["T"].to_numpy(dtype=float), 1e-9)
    return (cal_hold["frequency"].to_numpy(dtype=float) / age
            * cal_hold["duration_holdout"].to_numpy(dtype=float))


def _holdout_check(orders: pd.DataFrame, snapshot: pd.Timestamp, holdout_weeks: int,
                   seed: int, monetary_col: str | None = "amount"
                   ) -> tuple[HoldoutCheck | None, Markup | None]:
    first = orders["order_date"].min()
    history_days = (snapshot - first.normalize()).days + 1
    if history_days < 2 * MIN_HOLDOUT_WEEKS * DAYS_PER_WEEK:
        return None, md("The holdout check is skipped: it needs {need} weeks of history "
                        "({weeks} to fit and {weeks} to check) and the data spans {days:,} days.",
                        need=2 * MIN_HOLDOUT_WEEKS, weeks=MIN_HOLDOUT_WEEKS, days=history_days)
    split = holdout_split(first, snapshot, holdout_weeks)
    if split.holdout_weeks < MIN_HOLDOUT_WEEKS:
        return None, md("The holdout check is skipped: the history allows a holdout of only "
                        "{weeks} weeks.", weeks=split.holdout_weeks)
    cal = features.calibration_holdout(orders, calibration_end=split.calibration_end,
                                       observation_end=snapshot, time_unit="D",
                                       time_scaler=DAYS_PER_WEEK, monetary_col=monetary_col)
    fits = fit_models(cal, seed=seed)
    if not fits.transaction:
        return None, md("The holdout check is skipped: no purchase model could be fitted on the "
                        "calibration period up to {end:%d %B %Y}. {notes}",
                        end=split.calibration_end,
                        notes=join((n for n in fits.notes if "Gamma-Gamma" not in n), " "))
    predictions = holdout_predictions(fits.transaction, cal)
    for name in list(fits.transaction):
        if not np.isfinite(predictions[name].to_numpy(dtype=float)).all():
            del fits.transaction[name]
            predictions = predictions.drop(columns=name)
            fits.notes.append(md("{name} is left out of the holdout check: some of its "
                                 "predictions are not finite.", name=name))
    if not fits.transaction:
        return None, md("The holdout check is skipped: the models fitted on the calibration "
                        "period up to {end:%d %B %Y} give no finite predictions.",
                        end=split.calibration_end)
    errors = {name: holdout_error(predictions, name) for name in fits.transaction}
    rule = holdout_error(predictions.assign(rule=rate_rule(cal)), "rule")
    daily = features.daily_repeat_purchases(orders, cohort_end=split.calibration_end,
                                            observation_end=snapshot)
    weekly = tracking(fits.purchases, daily, calibration_end=split.calibration_end,
                      time_scaler=DAYS_PER_WEEK)
    return HoldoutCheck(split, cal, fits, predictions, errors, weekly, rule), None


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
    snapshot: object,
    *,
    holdout_weeks: int = 52,
    clv_horizon_days: int = 365,
    annual_discount_rate: float = 0.10,
    margin: float = 1.0,
    seed: int = 0,
) -> ValueAnalysis:
    """Segments, concentration, models, holdout check and customer values as of ``snapshot``.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders (``customer_id``, ``order_date``, ``amount``). Without ``amount`` (a
        log of visits or bookings) the segments read recency and frequency, the purchase models
        and their holdout check run, and everything in money (revenue concentration, the spend
        model, customer lifetime value) is skipped with a sentence saying so; the customer
        table then ranks customers by expected purchases.
    snapshot : date-like
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

    Returns
    -------
    ValueAnalysis
        Never raises on orders that meet the contract.
    """
    require_columns(orders.columns, ["customer_id", "order_date"], table="orders",
                    hint=CONTRACT_NAMES)
    data = purchase_orders(orders, snapshot)
    purchases, day = data.orders, data.snapshot
    money = "amount" if has_amounts(orders) else None
    skipped: list[Markup] = []  # without amounts the basis sentence says so
    rfm = rfm_scores(features.customer_rfm(purchases, as_of=day, monetary_col=money),
                     monetary="revenue" if money else None)
    revenue = rfm["revenue"] if money else rfm["revenue"].iloc[:0]
    summary = features.rfm_summary(purchases, observation_end=day, time_unit="D",
                                   time_scaler=DAYS_PER_WEEK, monetary_col=money)
    if purchases.empty:
        fits = Fits(notes=[md("No customer made a purchase up to the snapshot: there is nothing "
                              "to value.")])
        holdout, reason = None, fits.notes[0]
    else:
        fits = fit_models(summary, seed=seed)
        holdout, reason = _holdout_check(purchases, day, holdout_weeks, seed, money)
    if reason is not None:
        skipped.append(reason)
    horizon = clv_horizon_days / DAYS_PER_WEEK
    value = None
    if holdout is not None and not holdout.model_earns_its_place:
        fits.notes.append(md(
            "{name} does not beat the simple rate rule on the holdout (mean absolute error per "
            "customer {model:.3f} against {rule:.3f} purchases): the empirical value is used.",
            name=next(iter(holdout.errors)), model=holdout.error.mae, rule=holdout.rule.mae))
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


def model_parameters(fits: Fits) -> Mapping[str, object]:
    """The fitted models by name (purchase models, then Gamma-Gamma), for the parameter table."""
    models = dict(fits.transaction)
    if fits.spend is not None:
        models["Gamma-Gamma"] = fits.spend
    return models


def _quality(total_error: float) -> str:
    size = abs(total_error)
    return "close" if size < 0.05 else "fair" if size < 0.15 else "poor"


def verdict(result: ValueAnalysis) -> Verdict:
    """How far to trust the customer values: the purchase model's error on the holdout total.

    Reliable within 5 %, use with care within 15 %, not reliable beyond, or when no model could
    be fitted or checked (the values are then past spend or unchecked forecasts).
    """
    value = result.customer_value
    if value.empty:
        return Verdict(NOT_RELIABLE, "there are no customers to value")
    check = result.holdout
    if not (value["clv_basis"] == "model").all():
        why = ("the purchase model did not beat the simple rate rule on the holdout"
               if check is not None and not check.model_earns_its_place else
               "no purchase model could be used")
        past = "spend" if result.has_amounts else "purchases"
        return Verdict(NOT_RELIABLE, f"{why}, so the values are each customer's past {past}, "
                       "not a forecast")
    if check is None or not np.isfinite(check.error.total_error):
        return Verdict(NOT_RELIABLE, "the purchase model could not be checked on a holdout: "
                       + plain(result.holdout_reason or "too little history"))
    err = check.error.total_error
    quality = _quality(err)
    how = (f"{next(iter(check.errors))} missed the repeat purchases of the "
           f"{check.split.holdout_weeks}-week holdout by {err:+.1%} in total")
    return Verdict({"close": RELIABLE, "fair": USE_WITH_CARE}.get(quality, NOT_RELIABLE), how)


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


def key_findings(result: ValueAnalysis) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers (Markdown)."""
    value = result.customer_value
    out = [verdict(result).sentence("Customer value"),
           md("**{n:,} customers** bought at least once up to the snapshot.", n=len(value))]
    if value.empty:
        return out + result.skipped
    shares = result.concentration.set_index("top")["revenue_share"]
    if "top 10%" in shares and np.isfinite(shares["top 10%"]):
        parts = join(md("the top {top} of customers bring {share:.0%}", top=t[4:],
                        share=shares[t]) for t in shares.index)
        out.append(md("Revenue is concentrated: {parts} of revenue (Gini {gini:.2f}).",
                      parts=parts, gini=result.gini))
    if not result.has_amounts:
        return out + _purchase_findings(result)
    seg = result.segments.set_index("segment")
    champions = seg.loc["Champions"]
    at_risk = seg.loc[["At Risk", "Can't Lose"]]
    n_at_risk = int(at_risk["customers"].sum())
    # what the pair is, read from its members: on mostly one-time data a high FM score means a
    # big single order, not a buying habit
    repeat = (at_risk["median_orders"] > 1) & (at_risk["customers"] > 0)
    habit = at_risk.loc[repeat, "customers"].sum() > n_at_risk / 2
    out.append(md(
        "Champions are {champions[customer_share]:.0%} of customers and earned "
        "{champions[revenue_share]:.0%} of revenue; At Risk and Can't Lose customers ({what} "
        "who have not bought for a while) are {n_at_risk:,} customers with {share_at_risk:.0%} "
        "of revenue: the first list for win-back.", champions=champions,
        what="once frequent or big spenders" if habit else
        "big spenders, most of them on a single order,", n_at_risk=n_at_risk,
        share_at_risk=at_risk["revenue_share"].sum()))
    check = result.holdout
    out += _holdout_finding(check)
    clv = value["clv"]
    total = float(clv.sum())
    top10 = float(clv[value["value_tier"] == "top 10%"].sum())
    if (value["clv_basis"] == "model").all():
        out.append(md(
            "Over the next {days} days today's customers are expected to make {purchases:,.0f} "
            "purchases worth {total:,.0f} of revenue (not margin) in present value (median CLV "
            "{median:,.2f}); the top 10% by CLV hold {top_share:.0%} of it.",
            days=result.horizon_days, purchases=value["expected_purchases"].sum(), total=total,
            median=clv.median(), top_share=top10 / total if total > 0 else float("nan")))
        out += _rough_total(result, "revenue plan")
    else:
        out.append(md(
            "{basis} Customers spent {total:,.0f} in that window; the top 10% of them "
            "{top_share:.0%} of it.", basis=result.basis,
            total=total, top_share=top10 / total if total > 0 else float("nan")))
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def _holdout_finding(check: HoldoutCheck | None) -> list[Markup]:
    if check is None or not np.isfinite(check.error.total_error):
        return []
    err = check.error
    return [md(
        "On the last {weeks} weeks, held out from fitting, {model} predicted "
        "{e.predicted_total:,.0f} repeat purchase days against {e.actual_total:,.0f} actual "
        "({size:.1%} {direction}; {quality} in total; per customer the mean absolute error "
        "is {e.mae:.2f} purchases).", weeks=check.split.holdout_weeks,
        model=next(iter(check.errors)), e=err, size=abs(err.total_error),
        direction="over" if err.total_error > 0 else "under",
        quality=_quality(err.total_error))]


def _rough_total(result: ValueAnalysis, plan: str) -> list[Markup]:
    """The caveat on a model total that missed its holdout while beating the rate rule per
    customer: the values rank customers, the total is no ``plan``."""
    check, trust = result.holdout, verdict(result)
    if trust.level == RELIABLE or check is None or check.rule is None:
        return []
    name, err = next(iter(check.errors.items()))
    return [md("{lead} {name} missed its holdout total by {err:+.0%}. Per customer it erred less "
               "than the simple rate rule (mean absolute error {mae:.2f} against {rule:.2f} "
               "purchases), so use the values to rank customers.",
               lead=Markup(f"**Not a {plan}.**") if trust.level == NOT_RELIABLE else
               Markup("**A rough total.**"), name=name, err=err.total_error, mae=err.mae,
               rule=check.rule.mae)]


def _purchase_findings(result: ValueAnalysis) -> list[Markup]:
    """Key findings of a log without amounts: segments, the holdout and expected purchases."""
    seg = result.segments.set_index("segment")
    at_risk = seg.loc[["At Risk", "Can't Lose"]]
    out = [md("Champions are {c:.0%} of customers; At Risk and Can't Lose customers (once "
              "frequent, not seen for a while) are {n:,}: the first list for win-back.",
              c=seg.loc["Champions", "customer_share"], n=int(at_risk["customers"].sum()))]
    out += _holdout_finding(result.holdout)
    value = result.customer_value
    if not (value["clv_basis"] == "model").all():
        return [*out, result.basis, *(md("*Skipped:* {note}", note=n) for n in result.skipped)]
    out.append(md("{basis} Over the next {days} days today's customers are expected to make "
                  "{purchases:,.0f} purchases.", basis=result.basis, days=result.horizon_days,
                  purchases=value["expected_purchases"].sum()))
    out += _rough_total(result, "plan")
    return out + [md("*Skipped:* {note}", note=note) for note in result.skipped]


def holdout_sentence(check: HoldoutCheck) -> Markup:
    """The holdout check in words, after its charts."""
    name, err = next(iter(check.errors.items()))
    weekly = check.weekly[check.weekly["period"] == "holdout"]
    typical = weekly["actual"].mean()
    gap = ((weekly["expected"] - weekly["actual"]).abs().mean() / typical
           if typical > 0 else float("nan"))
    quality = _quality(err.total_error)
    others = join(md("{name}'s total is off by {error:+.1%}", name=n, error=e.total_error)
                  for n, e in list(check.errors.items())[1:])
    return md(
        "Over the {weeks}-week holdout {name} expected {e.predicted_total:,.0f} repeat purchase "
        "days and {e.actual_total:,.0f} happened ({e.total_error:+.1%}, {quality}). Per customer "
        "the mean absolute error is {e.mae:.2f} purchases (most customers buy 0 or 1 times, so "
        "individual forecasts are rough; the totals and rankings are what to use). Week by week "
        "the forecast is off by {gap:.0%} of a typical week on average{others}.{rule}",
        weeks=check.split.holdout_weeks, name=name, e=err,
        quality=quality if quality != "poor" else Markup("poor: treat the forecasts below with "
                                                         "care"),
        gap=gap, others=md("; {o}", o=others) if others else Markup(""),
        rule=md(" The simple rate rule (each customer's purchase rate of the calibration period "
                "carried forward) is off by {r.total_error:+.1%} in total, with a mean absolute "
                "error of {r.mae:.2f}.", r=check.rule) if check.rule is not None else Markup(""))


def parameter_sentence(result: ValueAnalysis) -> Markup | None:
    """What the fitted parameters mean for a customer, in words (None without BG/NBD)."""
    model = result.fits.transaction.get("BG/NBD")
    if model is None:
        return None
    p = model.params_
    gap, weeks = p["alpha"] / p["r"], float(result.summary["T"].max())
    caveat = (md(" That is longer than the whole history ({weeks:,.0f} weeks): most customers "
                 "buy too rarely to show a rhythm here, so read the totals and rankings, not "
                 "this average.", weeks=weeks) if gap > weeks else Markup(""))
    text = md("An active customer buys on average every {gap:,.1f} weeks, and after a repeat "
              "purchase drops out with probability {dropout:.1%} on average (BG/NBD).{caveat}",
              gap=gap, dropout=p["a"] / (p["a"] + p["b"]), caveat=caveat)
    spend = result.fits.spend
    if spend is None:
        return text
    repeaters = result.summary[result.summary["frequency"] > 0]
    return md("{text} A future order is worth {order:,.2f} on average (Gamma-Gamma, fitted on "
              "{n:,} repeat buyers). Frequency and mean spend of repeat buyers correlate at "
              "{corr:.2f}; the Gamma-Gamma model assumes about 0.", text=text,
              order=spend.population_mean_spend(), n=spend.n_customers_,
              corr=repeaters["frequency"].corr(repeaters["monetary_value"]))


def headline_metrics(result: ValueAnalysis) -> list[dict]:
    """The report's headline numbers as ``record_metric`` keyword arguments; a number the data
    could not give is ``None`` with the reason."""
    out = []
    no_model = "no BG/NBD fit on this data"
    for name, label, model in (("bgnbd", "BG/NBD", result.fits.transaction.get("BG/NBD")),
                               ("gg", "Gamma-Gamma", result.fits.spend)):
        names = ("r", "alpha", "a", "b") if name == "bgnbd" else ("p", "q", "gamma")
        for param in names:
            out.append({"name": f"{name}_{param}", "label": f"{label} {param}", "fmt": ".4g",
                        "value": model.params_[param] if model is not None else None,
                        "reason": None if model is not None else
                        no_model if name == "bgnbd" else "no Gamma-Gamma fit on this data"})
    no_revenue = "no customers" if result.has_amounts else "the orders carry no amounts"
    win_back = result.rfm[result.rfm["segment"].isin(WIN_BACK_SEGMENTS)]
    err = result.holdout.error if result.holdout is not None else None
    reason = None if err is not None else plain(result.holdout_reason or "no holdout check")
    out += [
        {"name": "holdout_mae", "value": err.mae if err else None,
         "label": "Holdout MAE per customer", "fmt": ".3f", "reason": reason},
        {"name": "holdout_total_error", "value": err.total_error if err else None,
         "label": "Holdout error of total purchases", "fmt": "+.1%", "reason": reason},
        {"name": "gini", "value": result.gini, "label": "Gini of revenue", "fmt": ".3f",
         "reason": no_revenue},
        {"name": "top10_revenue_share",
         "value": result.concentration.set_index("top")["revenue_share"].get("top 10%"),
         "label": "Revenue share of top 10%", "fmt": ".1%", "reason": no_revenue},
        {"name": "customers", "value": len(result.customer_value), "label": "Customers",
         "fmt": ",d"},
        {"name": "repeat_rate", "value": float((result.rfm["orders"] > 1).mean())
         if len(result.rfm) else None, "label": "Customers who bought more than once",
         "fmt": ".0%", "reason": "no customers"},
        {"name": "win_back_customers", "value": len(win_back), "fmt": ",d",
         "label": "At Risk and Can't Lose customers (the win-back list)"},
        {"name": "win_back_revenue", "value": float(win_back["revenue"].sum())
         if result.has_amounts else None, "fmt": ",.0f",
         "label": "Past revenue of the win-back list", "reason": no_revenue},
        {"name": "clv_basis", "value": str(result.customer_value["clv_basis"].iloc[0])
         if len(result.customer_value) else "empirical", "label": "Customer value basis"},
        verdict(result).metric("value_verdict", "Customer value reliability"),
    ]
    return out
