"""Customer features at a cutoff, strictly from data dated on or before the cutoff day.

One call computes every feature of every active customer with masks and ``bincount`` over the
prepared arrays of :mod:`crm_analysis.churn.events` (no loop over customers). Groups:

=========  ==========================================================================  ==========
group      features                                                                    needs
=========  ==========================================================================  ==========
rfm        recency, tenure, purchase days, orders, spend, order value                  orders
trend      orders and spend in the last window (= horizon) against the window before   orders
gaps       mean, spread and last gap between purchase days, recency / mean gap         orders
bgnbd      BG/NBD expected purchases in the horizon and P(no purchase), fitted at      orders
           the cutoff
basket     distinct products and categories bought                                     order_items
                                                                                       (+products)
returns    returned and cancelled orders (orders older than ``settle_days``)           status
service    tickets, complaints (all, recent, since the last purchase), tickets open    tickets
           or slow at the cutoff, low ratings
campaigns  contacts, opens, clicks, conversions (attribution window closed)            contacts
profile    age, marketing opt-in, acquisition channel, region                          customers
=========  ==========================================================================  ==========

Leakage rules: purchases, tickets and contacts dated after the cutoff are invisible; a ticket
counts as open if unresolved at the cutoff; "slow" means open longer than ``slow_hours`` as of the
cutoff; a rating counts once its ticket was resolved by the cutoff; campaign outcomes count once
the attribution window (``settle_days``) closed; return and cancellation statuses count for
orders placed at least ``settle_days`` before the cutoff (the clean order table carries the
final status, which may come from a return after the cutoff).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.churn.events import MINUTES_PER_DAY, ChurnInputs, day_number
from crm_analysis.churn.labels import ACTIVE_DAYS, churn_labels
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.value import BetaGeo, ConvergenceError, fit_with_fallback

__all__ = ["FEATURES", "Feature", "FeatureSet", "build_panel", "churn_features",
           "feature_groups", "feature_info"]


@dataclass(frozen=True)
class Feature:
    """A feature's group, its words for people and how a risk reason reads.

    ``reason`` holds ``{v}`` (the customer's value) and may hold ``{w}`` (the window in days);
    ``reason_zero``, if given, is used instead when the value is 0 (for yes/no features).
    ``decimals`` is the number of decimals shown; -1 shows the value as a percentage.
    ``direction`` is the side on which a value reads as a churn reason: +1 above the typical
    customer's value (e.g. days since the last purchase), -1 below it (e.g. orders), 0 either.
    ``actionable`` is False for who a customer is (age, region, acquisition channel, opt-in):
    such features help the model but are never given as a reason to call someone.
    """

    group: str
    label: str
    reason: str
    decimals: int = 0
    reason_zero: str | None = None
    direction: int = 0
    actionable: bool = True


FEATURES: dict[str, Feature] = {
    "recency_days": Feature("rfm", "days since last purchase", "no purchase for {v} days",
                            direction=1),
    "tenure_days": Feature("rfm", "days since first purchase",
                           "new customer (first purchase {v} days ago)", direction=-1),
    "purchase_days": Feature("rfm", "purchase days", "only {v} purchase day(s) so far",
                             direction=-1),
    "orders": Feature("rfm", "orders", "{v} order(s) in total", direction=-1),
    "total_spend": Feature("rfm", "total spend", "total spend {v}", direction=-1),
    "mean_order_value": Feature("rfm", "mean order value", "mean order value {v}", 2, direction=-1),
    "orders_last_window": Feature("trend", "orders in the last window",
                                  "{v} order(s) in the last {w} days", direction=-1),
    "orders_prev_window": Feature("trend", "orders in the window before",
                                  "{v} order(s) in the {w} days before that", direction=-1),
    "order_trend": Feature("trend", "order trend (last - previous window)",
                           "order trend {v} against the {w} days before", direction=-1),
    "spend_last_window": Feature("trend", "spend in the last window",
                                 "spend {v} in the last {w} days", direction=-1),
    "spend_trend": Feature("trend", "spend trend (last - previous window)",
                           "spend trend {v} against the {w} days before", direction=-1),
    "mean_gap_days": Feature("gaps", "mean days between purchases",
                             "buys every {v} days on average", 1, direction=1),
    "std_gap_days": Feature("gaps", "spread of days between purchases",
                            "irregular buying (gaps vary by {v} days)", 1, direction=1),
    "last_gap_days": Feature("gaps", "days between the last two purchases",
                             "last gap between purchases {v} days", direction=1),
    "recency_vs_gap": Feature("gaps", "days since last purchase / mean gap",
                              "{v} times the usual gap since the last purchase", 1, direction=1),
    "repeat_buyer": Feature("gaps", "bought on more than one day", "repeat buyer",
                            reason_zero="has bought on one day only", direction=-1),
    "bgnbd_expected_purchases": Feature("bgnbd", "BG/NBD expected purchases in the horizon",
                                        "few purchases expected from the buying rhythm "
                                        "({v} in {w} days)", 2, direction=-1),
    "bgnbd_p_no_purchase": Feature("bgnbd", "BG/NBD P(no purchase in the horizon)",
                                   "quiet for long given the usual buying rhythm ({v} chance "
                                   "of no purchase in {w} days)", -1, direction=1),
    "distinct_products": Feature("basket", "distinct products bought",
                                 "{v} distinct product(s) bought", direction=-1),
    "distinct_categories": Feature("basket", "distinct categories bought",
                                   "bought from {v} categor(ies) only", direction=-1),
    "returns": Feature("returns", "orders returned", "{v} order(s) returned", direction=1),
    "cancellations": Feature("returns", "orders cancelled", "{v} order(s) cancelled", direction=1),
    "return_share": Feature("returns", "share of orders returned or cancelled",
                            "{v} of orders returned or cancelled", -1, direction=1),
    "tickets": Feature("service", "service tickets", "{v} service ticket(s)", direction=1),
    "complaints": Feature("service", "complaints", "{v} complaint(s)", direction=1),
    "complaints_recent": Feature("service", "complaints in the last window",
                                 "{v} complaint(s) in the last {w} days", direction=1),
    "complaints_since_last_purchase": Feature(
        "service", "complaints since the last purchase",
        "{v} complaint(s) since the last purchase", direction=1),
    "open_tickets": Feature("service", "tickets open at the cutoff", "{v} ticket(s) still open",
                            direction=1),
    "slow_tickets": Feature("service", "tickets open longer than the service target",
                            "{v} ticket(s) handled slowly", direction=1),
    "low_ratings": Feature("service", "service ratings of 1 or 2",
                           "{v} poor service rating(s)", direction=1),
    "campaign_contacts": Feature("campaigns", "campaign contacts", "{v} campaign contact(s)"),
    "campaign_opens": Feature("campaigns", "campaign messages opened",
                              "opened {v} campaign message(s)", direction=-1),
    "campaign_clicks": Feature("campaigns", "campaign messages clicked",
                               "clicked {v} campaign message(s)", direction=-1),
    "campaign_conversions": Feature("campaigns", "campaign conversions",
                                    "{v} campaign conversion(s)", direction=-1),
    "age": Feature("profile", "age (years)", "age {v}", actionable=False),
    "marketing_opt_in": Feature("profile", "opted in to marketing", "opted in to marketing",
                                reason_zero="not opted in to marketing", actionable=False),
}
_PREFIXES = {"acquired_": ("acquired via {name}", "acquired via {name}"),
             "region_": ("region {name}", "lives in region {name}")}


def feature_info(name: str) -> Feature:
    """The :class:`Feature` of a column, including the one-hot profile columns."""
    if name in FEATURES:
        return FEATURES[name]
    for prefix, (label, reason) in _PREFIXES.items():
        if name.startswith(prefix):
            level = name[len(prefix):]
            return Feature("profile", label.format(name=level), reason.format(name=level),
                           reason_zero=f"not {reason.format(name=level)}", actionable=False)
    return Feature("other", name, f"{name} {{v}}", 2)


def feature_groups(columns: Sequence[str]) -> dict[str, list[str]]:
    """Feature columns by group, in column order."""
    out: dict[str, list[str]] = {}
    for col in columns:
        out.setdefault(feature_info(col).group, []).append(col)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _count(code: np.ndarray, mask: np.ndarray, n: int,
           weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(code[mask], weights=None if weights is None else weights[mask],
                       minlength=n).astype(float)


def _bgnbd(freq, recency, age, horizon_weeks, fit_on, random_state):
    """BG/NBD fitted on ``fit_on`` customers (weeks); expected purchases and P(no purchase)."""
    try:
        model = fit_with_fallback(BetaGeo(random_state=random_state), frequency=freq[fit_on],
                                  recency=recency[fit_on], T=age[fit_on])
    except ConvergenceError:
        return None
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        expected = model.expected_purchases(horizon_weeks, freq, recency, age)
        p_none = model.probability_no_purchase(horizon_weeks, freq, recency, age)
    if not (np.isfinite(expected).all() and np.isfinite(p_none).all()):
        return None  # a fit at the edge of its parameter space: its predictions are not usable
    return expected, p_none


def churn_features(
    inputs: ChurnInputs,
    as_of: object,
    *,
    horizon_days: int,
    active_days: int = ACTIVE_DAYS,
    settle_days: int = 30,
    slow_hours: float = 72.0,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Features of every customer active at ``as_of``, from data dated up to that day.

    Parameters
    ----------
    inputs : ChurnInputs
        From :func:`~crm_analysis.churn.prepare_inputs`.
    as_of : date-like
        The as-of day (its whole day is data).
    horizon_days : int
        Churn horizon, days; also the length of the trend windows and of the BG/NBD forecast.
    active_days : int, default ACTIVE_DAYS
        Customers whose last purchase is older than this many days are left out.
    settle_days : int, default 30
        Days after which an order's return status and a campaign contact's outcome are final.
    slow_hours : float, default 72.0
        A ticket open longer than this (hours, as of ``as_of``) counts as slow.
    random_state : int or None, default 0
        Seed of the BG/NBD fit's extra starting points.

    Returns
    -------
    DataFrame
        Index: customer id of active customers (sorted). Columns: float64 features, no missing
        values (see :data:`FEATURES`; which groups appear depends on the tables in ``inputs``).
    """
    log = inputs.log
    n, c, w = log.n_customers, day_number(as_of), int(horizon_days)
    m = log.day <= c
    code, day, amount, n_orders = log.code[m], log.day[m], log.amount[m], log.orders[m]
    n_days = np.bincount(code, minlength=n)
    top = max(len(day) - 1, 0)
    ends = np.clip(np.cumsum(n_days) - 1, 0, top)
    starts = np.clip(np.cumsum(n_days) - n_days, 0, top)
    present = n_days > 0
    first = np.where(present, day[starts] if len(day) else 0, 0)
    last = np.where(present, day[ends] if len(day) else 0, 0)
    active = present & (last > c - active_days)

    same = np.zeros(len(code), dtype=bool)  # row continues the customer of the row before
    same[1:] = code[1:] == code[:-1]
    gap = np.zeros(len(day))
    gap[1:] = np.diff(day)
    gap_sq = np.bincount(code[same], weights=gap[same] ** 2, minlength=n)
    repeat = n_days > 1
    tenure = (c - first).astype(float)
    recency = (c - last).astype(float)
    mean_gap = np.where(repeat, (last - first) / np.maximum(n_days - 1, 1), tenure)
    var_gap = np.where(repeat, gap_sq / np.maximum(n_days - 1, 1) - mean_gap**2, 0.0)
    last_gap = np.where(repeat, gap[ends] if len(gap) else 0.0, tenure)
    orders = np.bincount(code, weights=n_orders, minlength=n)
    spend = np.bincount(code, weights=amount, minlength=n)
    recent, prev = day > c - w, (day > c - 2 * w) & (day <= c - w)
    orders_last = np.bincount(code[recent], weights=n_orders[recent], minlength=n)
    orders_prev = np.bincount(code[prev], weights=n_orders[prev], minlength=n)
    spend_last = np.bincount(code[recent], weights=amount[recent], minlength=n)
    spend_prev = np.bincount(code[prev], weights=amount[prev], minlength=n)
    cols: dict[str, np.ndarray] = {
        "recency_days": recency, "tenure_days": tenure, "purchase_days": n_days.astype(float),
        "orders": orders, "total_spend": spend, "mean_order_value": _ratio(spend, orders),
        "orders_last_window": orders_last, "orders_prev_window": orders_prev,
        "order_trend": orders_last - orders_prev, "spend_last_window": spend_last,
        "spend_trend": spend_last - spend_prev,
        "mean_gap_days": mean_gap, "std_gap_days": np.sqrt(np.maximum(var_gap, 0.0)),
        "last_gap_days": last_gap,
        "recency_vs_gap": np.where(mean_gap > 0, recency / np.where(mean_gap > 0, mean_gap, 1),
                                   1.0),
        "repeat_buyer": repeat.astype(float),
    }
    if not log.has_amounts:  # a log of visits or bookings has no spend features
        for name in ("total_spend", "mean_order_value", "spend_last_window", "spend_trend"):
            del cols[name]
    weeks = float(DAYS_PER_WEEK)
    bg = _bgnbd((n_days - 1).astype(float), (last - first) / weeks, tenure / weeks, w / weeks,
                present, random_state) if present.sum() > 10 else None
    if bg is not None:
        cols["bgnbd_expected_purchases"], cols["bgnbd_p_no_purchase"] = bg
    cols.update(_optional_features(inputs, c, w, n, last, settle_days, slow_hours))
    frame = pd.DataFrame({k: np.asarray(v, dtype=float)[active] for k, v in cols.items()},
                         index=log.customers[active])
    if inputs.profile is not None:
        frame = frame.join(inputs.profile.loc[frame.index].astype(float))
    return frame


def _optional_features(inputs: ChurnInputs, c: int, w: int, n: int, last: np.ndarray,
                       settle_days: int, slow_hours: float) -> dict[str, np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    if inputs.items is not None:
        it = inputs.items
        # one entry per (customer, item) pair, or (SQL engines) per customer and first day
        # with the number of pairs first seen that day in ``<kind>_count``
        cols["distinct_products"] = _count(it["product_code"], it["product_first_day"] <= c, n,
                                           it.get("product_count"))
        if "category_code" in it:
            cols["distinct_categories"] = _count(it["category_code"],
                                                 it["category_first_day"] <= c, n,
                                                 it.get("category_count"))
    if inputs.order_status is not None:
        st = inputs.order_status
        settled = (st["day"] <= c - settle_days) & (st["day"] >= -10**9)
        returned = _count(st["code"], settled & st["returned"], n)
        cancelled = _count(st["code"], settled & st["cancelled"], n)
        cols.update(returns=returned, cancellations=cancelled,
                    return_share=_ratio(returned + cancelled, _count(st["code"], settled, n)))
    end = (c + 1) * MINUTES_PER_DAY  # first minute after the cutoff day
    if inputs.tickets is not None:
        tk = inputs.tickets
        seen = tk["opened"] < end
        resolved = tk["resolved"] < end
        after_last = tk["opened"] >= last[tk["code"]] * MINUTES_PER_DAY
        cols.update(
            tickets=_count(tk["code"], seen, n),
            complaints=_count(tk["code"], seen & tk["complaint"], n),
            complaints_recent=_count(tk["code"], seen & tk["complaint"]
                                     & (tk["opened"] >= end - w * MINUTES_PER_DAY), n),
            complaints_since_last_purchase=_count(tk["code"], seen & tk["complaint"]
                                                  & after_last, n),
            open_tickets=_count(tk["code"], seen & ~resolved, n),
            slow_tickets=_count(tk["code"], seen & (np.minimum(tk["resolved"], end) - tk["opened"]
                                                    > slow_hours * 60), n),
            low_ratings=_count(tk["code"], seen & resolved & (tk["satisfaction"] <= 2), n),
        )
    if inputs.contacts is not None:
        ct = inputs.contacts
        sent = ct["sent"] < end
        settled = ct["sent"] < end - settle_days * MINUTES_PER_DAY
        cols.update(
            campaign_contacts=_count(ct["code"], sent, n),
            campaign_opens=_count(ct["code"], settled & ct["opened"], n),
            campaign_clicks=_count(ct["code"], settled & ct["clicked"], n),
            campaign_conversions=_count(ct["code"], settled & ct["converted"], n),
        )
    return cols


@dataclass(frozen=True)
class FeatureSet:
    """Features and labels of several cutoffs stacked into one panel.

    Attributes
    ----------
    panel : DataFrame
        One row per (cutoff, active customer): ``cutoff`` (Timestamp), ``customer_id``, the
        feature columns and ``churned`` (float 1/0; NaN where the label window is not over).
    feature_names : list of str
        Feature columns present at every cutoff.
    horizon_days : int
    """

    panel: pd.DataFrame
    feature_names: list[str]
    horizon_days: int

    def at(self, cutoff: object) -> pd.DataFrame:
        """Rows of one cutoff, indexed by customer id."""
        rows = self.panel[self.panel["cutoff"] == pd.Timestamp(cutoff)]
        return rows.set_index("customer_id")


def build_panel(
    inputs: ChurnInputs,
    cutoffs: Sequence[object],
    *,
    horizon_days: int,
    as_of: object,
    active_days: int = ACTIVE_DAYS,
    random_state: int | None = 0,
    **feature_options,
) -> FeatureSet:
    """Features at each cutoff plus the churn label where its window ends by ``as_of``.

    Parameters
    ----------
    inputs : ChurnInputs
    cutoffs : sequence of date-like
        Cutoff days, any order.
    horizon_days : int
        Churn horizon, days.
    as_of : date-like
        The last day whose purchases may be used (the snapshot): a cutoff's label is known only
        if cutoff + horizon_days <= as_of; purchases after ``as_of`` are never read.
    active_days, random_state, **feature_options
        Passed to :func:`churn_features`.

    Returns
    -------
    FeatureSet
    """
    end = day_number(as_of)
    frames = []
    for cutoff in sorted(pd.Timestamp(c).normalize() for c in cutoffs):
        if day_number(cutoff) > end:
            raise ValueError(f"cutoff {cutoff:%Y-%m-%d} is after the snapshot {as_of}")
        feats = churn_features(inputs, cutoff, horizon_days=horizon_days,
                               active_days=active_days, random_state=random_state,
                               **feature_options)
        if day_number(cutoff) + horizon_days <= end:
            labels = churn_labels(inputs.log, cutoff, horizon_days, active_days=active_days)
            feats["churned"] = labels.reindex(feats.index).astype(float)
        else:
            feats["churned"] = np.nan
        frames.append(feats.rename_axis("customer_id").reset_index()
                      .assign(cutoff=cutoff))
    names = [c for c in frames[0].columns if c not in ("customer_id", "cutoff", "churned")]
    for f in frames[1:]:
        names = [c for c in names if c in f.columns]
    panel = pd.concat([f[["cutoff", "customer_id", *names, "churned"]] for f in frames],
                      ignore_index=True)
    return FeatureSet(panel, names, int(horizon_days))
