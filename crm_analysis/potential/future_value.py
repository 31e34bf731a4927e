"""Each customer's spend over the next ``horizon_days``, predicted three ways and compared with
two simple rules (the models are in :mod:`crm_analysis.potential.spend_models`).

1. :class:`BTYDSpend`: BG/NBD expected purchase days in the horizon times the Gamma-Gamma
   expected spend per purchase day (the models of notebook 03, fitted at the cutoff; time in
   weeks counted in whole days).
2. :class:`TwoStageSpend`: P(buy in the horizon) from a gradient-boosted classifier times
   E[spend | buy] from a gradient-boosted regressor on log spend, back-transformed with Duan's
   smearing factor (the mean of exp(residual)), so it estimates a mean, not a median.
3. :class:`BoostedSpend`: one gradient-boosted regressor with Poisson deviance (a log link that
   fits the mean of a zero-inflated, skewed target directly).

The machine-learning models learn from one past window: features at ``cutoff - horizon`` and the
spend in the horizon after it. Evaluation (:func:`compare_models`) is time-based: with
``cutoff = snapshot - horizon``, features use data dated on or before the cutoff only, the target
is the actual spend in ``(cutoff, cutoff + horizon]``, and the models that need a target learn
from the window before (``(cutoff - horizon, cutoff]`` with features at ``cutoff - horizon``).
For scoring (:func:`predict_future_value`) every model is refitted one window later and predicts the
horizon after the snapshot.

Features come from :func:`crm_analysis.churn.features.churn_features` (recency, tenure, trends,
gaps, BG/NBD, basket, returns, service, campaigns, profile: whatever the tables allow) for every
customer who bought by the cutoff, plus the BG/NBD summary columns; if the churn package cannot
be imported, from :mod:`crm_analysis.features` alone (RFM and trend) - ``FEATURE_SOURCE`` says
which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis import features
from crm_analysis.columns import CONTRACT_NAMES, require_columns
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.limits import NotEnoughData
from crm_analysis.money import has_amounts
from crm_analysis.potential import metrics
from crm_analysis.potential.spend_models import (
    MODELS,
    SUMMARY_COLUMNS,
    TARGET,
    make_model,
)
from crm_analysis.value import (
    MIN_CUSTOMERS,
    MIN_REPEAT_BUYERS,
    ConvergenceError,
)

try:  # the churn room owns the customer features at a cutoff
    from crm_analysis.churn.events import ChurnInputs, prepare_inputs
    from crm_analysis.churn.features import churn_features
    FEATURE_SOURCE = "churn"
except ImportError:  # pragma: no cover - only while the churn package is missing or broken
    ChurnInputs = None  # type: ignore[assignment,misc]
    FEATURE_SOURCE = "rfm"

__all__ = ["FEATURE_SOURCE", "MIN_HORIZON_DAYS", "HoldoutComparison", "ScoredValue",
           "compare_models", "fit_horizon", "predict_future_value", "prepare",
           "true_expected_spend", "value_frame"]

UNPRICED = ("Customer potential is future spend, and the orders carry no amounts: no model is "
            "fitted and no customer is valued. The churn report ranks these customers by their "
            "chance to stop, and the customer value report by their expected purchases.")
"""The note every potential section gives for a log without amounts (visits, bookings)."""

ORDER_COLUMNS = ("customer_id", "order_date")
"""Columns of the orders every potential function reads (``amount`` too, where there is one)."""
ALL_CUSTOMERS_DAYS = 10**6
"""``active_days`` passed to the churn features: every customer who ever bought is scored."""

MIN_HORIZON_DAYS = 14
"""Shortest horizon the comparison shortens to when the history is short."""


# -- inputs ------------------------------------------------------------------------------------
def prepare(orders: pd.DataFrame, tables: Mapping[str, pd.DataFrame | None] | None = None):
    """Prepare the cleaned tables once for feature frames at several cutoffs.

    Parameters
    ----------
    orders : DataFrame
        Purchases (``customer_id``, ``order_date``, ``amount`` > 0), e.g.
        ``value.purchase_orders(...).orders``.
    tables : mapping, optional
        Optional cleaned tables by name (``customers``, ``order_items``, ``products``,
        ``service_tickets``, ``campaign_contacts``) for the churn feature groups.

    Returns
    -------
    ChurnInputs or DataFrame
        The churn room's prepared inputs, or the orders themselves when it is unavailable.
    """
    if FEATURE_SOURCE == "churn":
        return prepare_inputs(orders, tables or {})
    return orders


def _rfm_features(orders: pd.DataFrame, as_of: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    """Fallback features from :mod:`crm_analysis.features`: RFM, tenure and spend trend."""
    now = features.customer_rfm(orders, as_of=as_of)
    before = features.customer_rfm(orders, as_of=as_of - pd.Timedelta(days=horizon_days))
    prior = before.reindex(now.index)
    spend_last = now["revenue"] - prior["revenue"].fillna(0.0)
    return pd.DataFrame({
        "recency_days": now["recency_days"].astype(float),
        "tenure_days": (as_of - now["first_purchase"].dt.normalize()).dt.days.astype(float),
        "orders": now["orders"].astype(float), "total_spend": now["revenue"],
        "mean_order_value": now["revenue"] / now["orders"],
        "spend_last_window": spend_last,
        "orders_last_window": (now["orders"] - prior["orders"].fillna(0)).astype(float),
    }, index=now.index)


def value_frame(
    orders: pd.DataFrame,
    as_of: object,
    *,
    horizon_days: int,
    inputs=None,
    with_target: bool = True,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Features of every customer who bought by ``as_of`` (and her spend in the horizon after).

    Parameters
    ----------
    orders : DataFrame
        Purchases (positive amounts, with customer id).
    as_of : date-like
        Cutoff day; its whole day is data.
    horizon_days : int
        Horizon, days: the trend windows and BG/NBD features of the churn room use it, and the
        target is the spend in ``(as_of, as_of + horizon_days]``.
    inputs : ChurnInputs, optional
        From :func:`prepare` (prepared once, reused across cutoffs).
    with_target : bool, default True
        Add ``target_spend`` (currency units). Needs purchases to be known until
        ``as_of + horizon_days``: the caller guarantees that.
    random_state : int or None
        Seed of the churn room's BG/NBD feature fit.

    Returns
    -------
    DataFrame
        Index ``customer_id`` (sorted); float feature columns, the BG/NBD summary columns
        (``frequency``, ``recency``, ``T`` in weeks, ``monetary_value``) and ``target_spend``.
    """
    as_of = pd.Timestamp(as_of).normalize()
    weeks = {"time_unit": "D", "time_scaler": DAYS_PER_WEEK}
    if with_target:
        summary = features.calibration_holdout(
            orders, calibration_end=as_of,
            as_of=as_of + pd.Timedelta(days=horizon_days), **weeks)
        target = summary["frequency_holdout"] * summary["monetary_value_holdout"]
        summary = summary[list(SUMMARY_COLUMNS)].assign(**{TARGET: target})
    else:
        summary = features.rfm_summary(orders, as_of=as_of, **weeks)
    if FEATURE_SOURCE == "churn":
        inputs = inputs if inputs is not None else prepare(orders)
        with np.errstate(invalid="ignore", divide="ignore"):  # BG/NBD's 2F1 NaNs are repaired
            feats = churn_features(inputs, as_of, horizon_days=horizon_days,
                                   active_days=ALL_CUSTOMERS_DAYS, random_state=random_state)
    else:
        feats = _rfm_features(orders, as_of, horizon_days)
    feats = feats.drop(columns=[c for c in feats.columns if c in summary.columns])
    out = summary.join(feats, how="left")
    out.index.name = "customer_id"
    return out.astype({c: float for c in out.columns if c != "frequency"})


# -- comparison and scoring --------------------------------------------------------------------
@dataclass(frozen=True)
class HoldoutComparison:
    """The predictors on the last horizon before the snapshot.

    Attributes
    ----------
    horizon_days : int
        The horizon compared (and to score with): the wanted one, or shorter to fit the history.
    cutoff : Timestamp
        Features use data up to this day; the target is the spend in (cutoff, snapshot].
    train_cutoff : Timestamp or None
        Features of the learning window of the ML models (None when the history was too short
        for them).
    predictions : DataFrame
        Index customer_id; ``actual`` and one column per model key (currency units).
    metrics : DataFrame
        One row per model (index: key): ``model`` (name), ``spearman``, ``gini``,
        ``top_decile_capture``, ``mae``, ``predicted_total``, ``actual_total``. Empty when the
        history allows no check.
    calibration : DataFrame
        Decile calibration per model (long): ``model`` key plus the
        :func:`~crm_analysis.potential.metrics.decile_calibration` columns.
    chosen : str
        Key of the model with the highest normalised Gini (revenue-weighted ranking); the simple
        rule when nothing could be checked.
    notes : list of str
        What was shortened or left out, in plain sentences.
    """

    horizon_days: int
    cutoff: pd.Timestamp
    train_cutoff: pd.Timestamp | None
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    chosen: str
    notes: list[str]

    @property
    def checked(self) -> bool:
        """Whether the models could be compared on a holdout at all."""
        return not self.metrics.empty


def fit_horizon(first: pd.Timestamp, as_of: pd.Timestamp, horizon_days: int,
                min_history_days: int) -> tuple[int, list[str]]:
    """The horizon for this history: ``horizon_days``, or shorter (whole weeks, at least
    :data:`MIN_HORIZON_DAYS`) so that ``min_history_days`` of features precede the holdout.

    Raises
    ------
    NotEnoughData
        Not even the shortest horizon fits.
    """
    history = (as_of - first).days + 1
    fits = (history - min_history_days) // DAYS_PER_WEEK * DAYS_PER_WEEK
    if fits >= horizon_days:
        return int(horizon_days), []
    if fits < MIN_HORIZON_DAYS:
        raise NotEnoughData(
            f"the future-value check needs {min_history_days} days of history plus a holdout of "
            f"at least {MIN_HORIZON_DAYS} days, and the data spans {history:,} days")
    return int(fits), [f"The history ({history:,} days) is too short for a {horizon_days}-day "
                       f"horizon after {min_history_days} days of features, so the horizon is "
                       f"shortened to {fits} days."]


def _fit_predict(name: str, frame: pd.DataFrame, target: pd.DataFrame, horizon_days: int,
                 random_state, max_train_rows, notes: list[str]):
    """The model fitted on ``frame`` and its predictions for ``target`` (features in common),
    or None with a note when the data cannot support it."""
    common = [c for c in frame.columns if c in target.columns or c == TARGET]
    try:
        model = make_model(name, horizon_days, random_state, max_train_rows).fit(frame[common])
    except (NotEnoughData, ConvergenceError) as exc:
        problems = getattr(exc, "problems", ()) or (str(exc),)
        notes.append(f"{MODELS[name]} is left out: {'; '.join(problems)}.")
        return None
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        predicted = model.predict(target)
    if not np.isfinite(predicted).all():
        notes.append(f"{MODELS[name]} is left out: its fit lies at the edge of its parameter "
                     "space and some of its predictions are not finite.")
        return None
    return model, predicted


def compare_models(
    orders: pd.DataFrame,
    as_of: object,
    *,
    horizon_days: int,
    inputs=None,
    random_state: int | None = 0,
    max_train_rows: int | None = 100_000,
    min_history_days: int = 60,
) -> HoldoutComparison:
    """Fit the predictors before ``as_of - horizon`` and score the horizon after.

    The simple rules (last period's spend, the average spend rate since the first purchase)
    are always compared; BG/NBD x Gamma-Gamma when it can be fitted; the machine-learning
    models when the history holds their learning window too. The horizon is shortened to fit
    the history (:func:`fit_horizon`).

    Parameters
    ----------
    orders : DataFrame
        Purchases up to ``as_of`` (positive amounts, with customer id).
    as_of : date-like
        Snapshot day (inclusive): the holdout ends here.
    horizon_days : int
        Wanted prediction horizon, days.
    inputs : ChurnInputs, optional
        From :func:`prepare`; computed here when missing.
    random_state : int or None
    max_train_rows : int or None
        Rows sampled to fit each boosted model (None: all).
    min_history_days : int, default 60
        Days of history the features need before a cutoff.

    Returns
    -------
    HoldoutComparison
        Never raises on valid data: without room for a holdout, ``metrics`` is empty and the
        simple rule is chosen. Orders without ``amount`` (a log of visits or bookings) have no
        spend to predict: nothing is compared and the note says so (:data:`UNPRICED`).
    """
    require_columns(orders.columns, ORDER_COLUMNS, table="orders", hint=CONTRACT_NAMES)
    as_of = pd.Timestamp(as_of).normalize()
    if not has_amounts(orders):
        return HoldoutComparison(int(horizon_days), as_of, None, pd.DataFrame(),
                                 pd.DataFrame(), pd.DataFrame(), "last_period", [UNPRICED])
    first = pd.to_datetime(orders["order_date"]).min().normalize() if len(orders) else as_of
    try:
        if not len(orders):
            raise NotEnoughData("no purchase up to the snapshot carries a customer id")
        horizon_days, notes = fit_horizon(first, as_of, horizon_days, min_history_days)
    except NotEnoughData as exc:
        return HoldoutComparison(int(horizon_days), as_of, None, pd.DataFrame(),
                                 pd.DataFrame(), pd.DataFrame(), "last_period",
                                 [f"No model can be checked: {exc}; the simple rule (last "
                                  "period's spend) is used."])
    cutoff = as_of - pd.Timedelta(days=horizon_days)
    inputs = inputs if inputs is not None else prepare(orders)
    test = value_frame(orders, cutoff, horizon_days=horizon_days, inputs=inputs,
                       random_state=random_state)
    buyers = int((test[TARGET] > 0).sum())
    if len(test) < MIN_CUSTOMERS or buyers < MIN_REPEAT_BUYERS:
        return HoldoutComparison(
            horizon_days, cutoff, None, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(),
            "last_period", [*notes, f"No model can be checked: the holdout needs at least "
                            f"{MIN_CUSTOMERS} customers, {MIN_REPEAT_BUYERS} of whom buy in it; "
                            f"the data has {len(test):,} and {buyers:,}. The simple rule (last "
                            "period's spend) is used."])
    train_cutoff = cutoff - pd.Timedelta(days=horizon_days)
    train = None
    if (train_cutoff - first).days >= min_history_days:
        train = value_frame(orders, train_cutoff, horizon_days=horizon_days, inputs=inputs,
                            random_state=random_state)
    else:
        notes.append(f"The history is too short for the learning window of the machine-learning "
                     f"models (two horizons of {horizon_days} days plus {min_history_days}): "
                     "they are left out.")
    preds = pd.DataFrame({"actual": test[TARGET]}, index=test.index)
    for name in MODELS:
        if name in ("two_stage", "boosted") and train is None:
            continue
        fitted = _fit_predict(name, train if name in ("two_stage", "boosted") else test, test,
                              horizon_days, random_state, max_train_rows, notes)
        if fitted is not None:
            preds[name] = fitted[1]
    names = [n for n in MODELS if n in preds]
    rows, calib = {}, []
    for name in names:
        rows[name] = {"model": MODELS[name], **metrics.evaluate(preds["actual"], preds[name])}
        calib.append(metrics.decile_calibration(preds["actual"], preds[name]).assign(model=name))
    table = pd.DataFrame.from_dict(rows, orient="index")
    chosen = str(table["gini"].astype(float).fillna(-np.inf).idxmax())
    return HoldoutComparison(horizon_days, cutoff, train_cutoff if train is not None else None,
                             preds, table, pd.concat(calib, ignore_index=True), chosen, notes)


@dataclass(frozen=True)
class ScoredValue:
    """Predictions at the snapshot.

    Attributes
    ----------
    scores : DataFrame
        Index customer_id (everyone who bought by the snapshot): ``predicted_value`` (the chosen
        model, currency over the horizon), ``predicted_btyd``, ``predicted_two_stage``,
        ``predicted_boosted`` (those fitted), ``expected_purchases``, ``p_no_purchase`` (BG/NBD,
        horizon), ``expected_order_value`` (Gamma-Gamma, currency per purchase day).
    features : DataFrame
        The feature frame at the snapshot (index customer_id).
    chosen : str
        The model whose prediction is ``predicted_value``.
    notes : list of str
        Models that could not be refitted at the snapshot.
    """

    scores: pd.DataFrame
    features: pd.DataFrame
    chosen: str
    notes: list[str] = field(default_factory=list)


def predict_future_value(
    orders: pd.DataFrame,
    as_of: object,
    comparison: HoldoutComparison,
    *,
    inputs=None,
    random_state: int | None = 0,
    max_train_rows: int | None = 100_000,
) -> ScoredValue:
    """Refit at ``as_of`` the models ``comparison`` checked, and predict every customer's
    spend over its horizon with the one it picked.

    BG/NBD x Gamma-Gamma is fitted on the summary at ``as_of``; the ML models learn from
    features at ``as_of - horizon_days`` and the spend in the horizon up to ``as_of``. A
    model that cannot be refitted is left out; when it is the chosen one, the simple rule takes
    its place (``chosen`` of the result says which was used). Churn has its own scoring
    (:func:`crm_analysis.churn.score_customers`): a probability to stop, not a spend.

    Parameters
    ----------
    orders, as_of, inputs, random_state, max_train_rows
        As for :func:`compare_models`.
    comparison : HoldoutComparison
        From :func:`compare_models` on the same orders and ``as_of``: its horizon, the models it
        could check (the simple rule alone when it checked none) and the one it picked.

    Returns
    -------
    ScoredValue
        Empty for orders without ``amount``: there is no spend to predict.
    """
    return _refit_and_score(orders, as_of, horizon_days=comparison.horizon_days,
                            chosen=comparison.chosen,
                            models=tuple(comparison.metrics.index) or ("last_period",),
                            inputs=inputs, random_state=random_state,
                            max_train_rows=max_train_rows)


def _refit_and_score(
    orders: pd.DataFrame,
    as_of: object,
    *,
    horizon_days: int,
    chosen: str,
    models: tuple[str, ...],
    inputs=None,
    random_state: int | None = 0,
    max_train_rows: int | None = 100_000,
) -> ScoredValue:
    """:func:`predict_future_value` with the horizon, the models and the chosen one given."""
    require_columns(orders.columns, ORDER_COLUMNS, table="orders", hint=CONTRACT_NAMES)
    if chosen not in models:
        raise ValueError(f"chosen model {chosen!r} is not among {models}")
    unpriced = not has_amounts(orders)
    if unpriced:  # nothing to value: the tables of no customer (and no note on their models)
        orders, inputs = orders.iloc[:0].assign(amount=np.zeros(0)), None
    as_of = pd.Timestamp(as_of).normalize()
    inputs = inputs if inputs is not None else prepare(orders)
    now = value_frame(orders, as_of, horizon_days=horizon_days, inputs=inputs,
                      with_target=False, random_state=random_state)
    notes: list[str] = []
    scores = pd.DataFrame(index=now.index)
    fitted: dict[str, object] = {}
    train = None
    for name in dict.fromkeys(("last_period", *models, "btyd")):
        if name in ("two_stage", "boosted"):
            if train is None:
                train = value_frame(orders, as_of - pd.Timedelta(days=horizon_days),
                                    horizon_days=horizon_days, inputs=inputs,
                                    random_state=random_state)
            result = _fit_predict(name, train, now, horizon_days, random_state, max_train_rows,
                                  notes)
        else:
            result = _fit_predict(name, now, now, horizon_days, random_state, max_train_rows,
                                  notes)
        if result is not None:
            fitted[name] = result[0]
            scores[f"predicted_{name}"] = result[1]
    used = chosen if chosen in fitted else "last_period"
    scores.insert(0, "predicted_value", scores[f"predicted_{used}"])
    btyd = fitted.get("btyd")
    nan = np.full(len(now), np.nan)
    scores["expected_purchases"] = btyd.predict_purchases(now) if btyd else nan
    scores["p_no_purchase"] = btyd.predict_no_purchase(now) if btyd else nan
    scores["expected_order_value"] = btyd.predict_order_value(now) if btyd else nan
    return ScoredValue(scores, now, used, [] if unpriced else notes)


def true_expected_spend(truth_customers: pd.DataFrame, horizon_days: float) -> pd.Series:
    """The generator's expected spend of each customer over the next ``horizon_days``.

    A customer alive at the export date buys at rate ``lam`` per day and drops out with
    probability ``p`` after each purchase, so her expected number of purchases in t days is
    ``(1 - exp(-lam p t)) / p`` (geometric thinning of a Poisson process); each is worth
    ``expected_order_value``. Customers who dropped out are worth 0. Seasonality and
    campaign-caused orders are ignored (they barely change the ranking).

    Parameters
    ----------
    truth_customers : DataFrame
        ``truth["customers"]`` of :mod:`crm_analysis.synthetic`: ``customer_id``, ``lam`` (per
        day), ``p``, ``expected_order_value``, ``alive_at_end``.
    horizon_days : float

    Returns
    -------
    Series
        Currency units, indexed by customer id, named ``true_expected_spend``.
    """
    t = truth_customers
    lam = t["lam"].to_numpy(dtype=float)
    p = np.clip(t["p"].to_numpy(dtype=float), 1e-9, 1.0)
    purchases = -np.expm1(-lam * p * float(horizon_days)) / p
    alive = t["alive_at_end"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    value = np.where(alive, purchases * t["expected_order_value"].to_numpy(dtype=float), 0.0)
    return pd.Series(value, index=pd.Index(t["customer_id"], name="customer_id"),
                     name="true_expected_spend")
