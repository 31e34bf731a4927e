"""Assembly for the customer potential report (notebook 06): frames, uplift steps, findings.

Nothing here reads or writes files; the notebook passes the tables in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.features import channel_shares
from crm_analysis.limits import NOT_RELIABLE, RELIABLE, USE_WITH_CARE, NotEnoughData, Verdict
from crm_analysis.markup import Markup, escape, join, md
from crm_analysis.money import has_amounts
from crm_analysis.potential.future_value import UNPRICED, HoldoutComparison, ScoredValue
from crm_analysis.potential.headroom import behaviour_group, potential_scores
from crm_analysis.potential.positioning import position
from crm_analysis.potential.spend_models import MODELS, RULES
from crm_analysis.potential.targeting import choose_targets, expected_profit
from crm_analysis.potential.uplift import (
    NotRandomisedError,
    RandomisationCheck,
    TwoModelUplift,
    UpliftEvaluation,
    check_randomisation,
    contact_features,
    evaluate_uplift,
    observed_strategies,
    prepare_contacts,
)

__all__ = [
    "OPTIONAL_TABLES",
    "Targeting",
    "UpliftAnalysis",
    "action_sentence",
    "comparison_sentence",
    "headline_metrics",
    "key_findings",
    "plan_sentence",
    "plan_targeting",
    "potential_frame",
    "score_uplift",
    "skipped_notes",
    "targeting_metrics",
    "targeting_sentence",
    "tier_sentence",
    "uplift_analysis",
    "uplift_earns_its_place",
    "uplift_shrinkage",
    "verdict",
]

OPTIONAL_TABLES: tuple[str, ...] = ("customers", "order_items", "products", "service_tickets",
                                    "campaigns", "campaign_contacts")


def potential_frame(scored: ScoredValue, customer_value: pd.DataFrame, risk: pd.Series, *,
                    value_share: float = 0.2, risk_threshold: float = 0.5) -> pd.DataFrame:
    """One row per customer: predictions, current value, potential, risk and action.

    Parameters
    ----------
    scored : ScoredValue
        From :func:`~crm_analysis.potential.predict_future_value`.
    customer_value : DataFrame
        ``customer_value`` of notebook 03 (``customer_id``, ``segment``, ``clv``, ...).
    risk : Series
        Churn risk per customer id (:func:`~crm_analysis.potential.churn_risk`).
    value_share, risk_threshold : float
        Grid cuts, see :func:`~crm_analysis.potential.position`.

    Returns
    -------
    DataFrame
        Index customer_id.
    """
    feats = scored.features
    cv = customer_value.set_index("customer_id")
    frame = scored.scores.join(cv[[c for c in ("segment", "clv") if c in cv.columns]])
    frame["segment"] = frame["segment"].astype("string").fillna("unknown")
    frame["current_value"] = feats["spend_last_window"].astype(float)
    frame["behaviour_group"] = behaviour_group(feats["tenure_days"], feats["frequency"] + 1)
    frame["churn_risk"] = risk.reindex(frame.index).fillna(frame["p_no_purchase"])
    frame = potential_scores(frame)
    return position(frame, value_share=value_share, risk_threshold=risk_threshold)


@dataclass(frozen=True)
class UpliftAnalysis:
    """The uplift section's results: ``check`` always; the rest only when randomised and the
    data can support the model (else ``note`` says what is missing)."""

    check: RandomisationCheck
    data: pd.DataFrame
    feature_names: list[str]
    evaluation: UpliftEvaluation | None
    model: TwoModelUplift | None
    note: str | None = None


def uplift_analysis(
    contacts: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    horizon_days: int,
    inputs=None,
    true_uplift: pd.DataFrame | None = None,
    random_state: int | None = 0,
) -> UpliftAnalysis:
    """Prepare contacts and features, check randomisation, evaluate and refit on all contacts.

    Parameters
    ----------
    contacts : DataFrame
        Cleaned ``campaign_contacts``.
    orders : DataFrame
        Purchases up to the snapshot.
    horizon_days : int
        Window of the trend features.
    inputs : ChurnInputs, optional
    true_uplift : DataFrame, optional
        ``truth["uplift"]`` (``campaign_id``, ``customer_id``, ``uplift_probability``) on
        synthetic data.
    random_state : int or None

    Returns
    -------
    UpliftAnalysis
        ``evaluation`` and ``model`` are None when the check failed (see ``check.reasons``).
    """
    prepared = prepare_contacts(contacts, orders)
    data = contact_features(prepared, orders, horizon_days=horizon_days, inputs=inputs,
                            random_state=random_state)
    truth_col = None
    if true_uplift is not None:
        truth_col = "true_uplift"
        data = data.merge(true_uplift[["campaign_id", "customer_id", "uplift_probability"]]
                          .rename(columns={"uplift_probability": truth_col}),
                          on=["campaign_id", "customer_id"], how="left")
        data[truth_col] = data[truth_col].astype(float)
    skip = set(prepared.columns) | {"true_uplift"}
    names = [c for c in data.columns if c not in skip]
    check = check_randomisation(data, names)
    if not check.ok:
        return UpliftAnalysis(check, data, names, None, None)
    try:
        evaluation = evaluate_uplift(data, names, random_state=random_state,
                                     true_uplift=truth_col)
        model = TwoModelUplift(random_state=random_state).fit(data[names], data["treated"],
                                                              data["converted"])
    except NotEnoughData as exc:
        return UpliftAnalysis(check, data, names, None, None,
                              f"no uplift model can be learned: {exc}")
    return UpliftAnalysis(check, data, names, evaluation, model)


def score_uplift(analysis: UpliftAnalysis, features_now: pd.DataFrame, orders: pd.DataFrame,
                 as_of: object, customers: pd.DataFrame | None = None) -> pd.Series:
    """Predicted uplift of a contact now, for every customer who may be contacted.

    Customers who opted out of marketing (``customers.marketing_opt_in`` false) are left out.

    Returns
    -------
    Series
        Uplift (difference of conversion probabilities) indexed by customer id.
    """
    if analysis.model is None:
        raise NotRandomisedError("no uplift model: the contact log failed the randomisation "
                                 "check")
    X = features_now.join(channel_shares(orders, as_of), how="left")
    for col in analysis.feature_names:
        if col not in X.columns:
            X[col] = 0.0
    X = X[analysis.feature_names].astype(float).fillna(0.0)
    if customers is not None and "marketing_opt_in" in customers.columns:
        opt = pd.Series(customers["marketing_opt_in"].astype("boolean").to_numpy(),
                        index=pd.Index(customers["customer_id"]))
        opt = opt[~opt.index.duplicated()].reindex(X.index)
        X = X[opt.fillna(False).to_numpy(dtype=bool)]
    return pd.Series(analysis.model.predict(X), index=X.index, name="predicted_uplift")


def comparison_intro(comparison: HoldoutComparison) -> Markup:
    """The horizon and the data each side of the cutoff, then the comparison's notes; for a log
    without amounts only the note that nothing was compared (Markdown)."""
    notes = join((escape(n) for n in comparison.notes), " ")
    if UNPRICED in comparison.notes:
        return notes
    return md("Horizon **{days} days**; features from data up to **{cutoff:%d %B %Y}**, actual "
              "spend from then to the snapshot. {notes}", days=comparison.horizon_days,
              cutoff=comparison.cutoff, notes=notes)


def nothing_to_value(orders: pd.DataFrame) -> Markup:
    """Why there is no customer to position: the orders carry no amounts, or no purchase up to
    the snapshot carries a customer id (Markdown)."""
    if not has_amounts(orders):
        return md("*Skipped:* {note}", note=UNPRICED)
    return md("Skipped: no purchase up to the snapshot carries a customer id.")


def skipped_notes(tables: dict[str, pd.DataFrame | None], extra: list[str] | None = None
                  ) -> list[Markup]:
    """Sentences naming what was skipped for lack of a table (Markdown; ``extra`` notes are
    plain text and escaped)."""
    notes = []
    if tables.get("campaign_contacts") is None:
        notes.append(md("**Uplift and targeting** need randomised campaign contacts "
                        "(a campaign contacts table with treatment and control groups): there are "
                        "none, so both sections are skipped and the target list follows the "
                        "positioning grid without expected profit."))
    if tables.get("customers") is None:
        notes.append(md("**Customer profile** (age, region, acquisition channel, opt-in) is "
                        "missing: the models use purchase history only, and opt-outs cannot be "
                        "excluded."))
    extra = list(extra or [])
    first = [escape(note) for note in extra if note == UNPRICED]  # why nothing else is there
    return first + notes + [escape(note) for note in extra if note != UNPRICED]


def key_findings(
    *,
    comparison: HoldoutComparison,
    frame: pd.DataFrame,
    grid: pd.DataFrame,
    horizon_days: int,
    risk_source: str,
    uplift: UpliftAnalysis | None = None,
    strategies: pd.DataFrame | None = None,
) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers.

    Returns
    -------
    list of Markup
        Markdown sentences.
    """
    m = comparison.metrics
    chosen = MODELS.get(comparison.chosen, comparison.chosen)
    if frame.empty and UNPRICED in comparison.notes:  # the notes that follow say why
        return [md("**No customer to value, position or target.**")]
    if frame.empty:
        return [md("**No customer to value, position or target**: no purchase up to the snapshot "
                   "carries a customer id. The demand report covers these orders.")]
    out = [verdict(comparison).sentence("Future value"),
        md("**{n:,} customers** are expected to spend **{predicted:,.0f}** in the next {h} days "
           "(by {model}), against {current:,.0f} in the last {h}: revenue of today's customers "
           "only, without new customers and guest orders.", n=len(frame),
           predicted=frame["predicted_value"].sum(), h=horizon_days, model=chosen,
           current=frame["current_value"].sum()),
    ]
    if comparison.checked:
        best = m.loc[comparison.chosen]
        out.append(md(
            "On the last {h} days, held out, {model} ranked customers best (normalised Gini "
            "{best[gini]:.2f}, Spearman {best[spearman]:.2f}): the 10% it ranked highest brought "
            "{best[top_decile_capture]:.0%} of the revenue that followed.", h=horizon_days,
            model=best["model"], best=best))
    else:
        out.append(md("No prediction could be checked on this history: the values are the simple "
                      "rule (each customer's spend in the last {h} days).", h=horizon_days))
    high = frame[frame["potential_tier"] == "high potential"]
    out.append(md("{n:,} high-potential customers could add {upside:,.0f} per {h} days (the "
                  "larger of predicted growth and the gap to the upper quartile of look-alike "
                  "customers).", n=len(high), upside=high["upside"].sum(), h=horizon_days))
    by_action = grid.groupby("action", sort=False)[["customers", "predicted_value",
                                                    "value_at_risk"]].sum()
    if "retain" in by_action.index and by_action.loc["retain", "customers"] > 0:
        r = by_action.loc["retain"]
        out.append(md("**Retain**: {n:,} high-value customers at high churn risk hold "
                      "{risk:,.0f} of customer value at risk (churn risk x CLV, as in the churn "
                      "report; {source}).",
                      n=int(r["customers"]), risk=r["value_at_risk"], source=risk_source))
    if "grow" in by_action.index:
        g = by_action.loc["grow"]
        out.append(md("**Grow**: {n:,} customers with high potential and low risk are expected "
                      "to spend {value:,.0f}.", n=int(g["customers"]),
                      value=g["predicted_value"]))
    if uplift is not None and uplift.evaluation is not None:
        top = uplift.evaluation.top.set_index("top_share")
        out.append(md("Campaign uplift (randomised contacts, held out): among the 10% of "
                      "contacts the model ranks highest, the contacted converted {top} than "
                      "their controls, against {all} for all contacts.",
                      top=points(top.loc[0.1, "observed_uplift"]),
                      all=points(top.loc[1.0, "observed_uplift"])))
    elif uplift is not None and uplift.note:
        out.append(md("No uplift model: {note}.", note=uplift.note))
    elif uplift is not None:
        out.append(md("No uplift model: the campaign contacts failed the randomisation check "
                      "({reasons}).", reasons=join(uplift.check.reasons, "; ")))
    if strategies is not None and len(strategies):
        earned, why = uplift_earns_its_place(strategies)
        out.append(targeting_sentence(strategies))
        if not earned:
            out.append(md("**The uplift model's target list is not used**: {why}. The target "
                          "list follows the positioning grid instead.", why=why))
    return out


COMPARE_SHARE = 0.1
"""Share of held-out contacts the rankings are compared at when the target list is empty."""


@dataclass(frozen=True)
class Targeting:
    """The target list by expected incremental profit, and whether it earned its place.

    ``targets`` is the positioning frame with ``predicted_uplift``,
    ``expected_incremental_profit`` and ``contact`` when the list is used (``earned``), else
    the positioning frame as it was; ``profit`` and ``contact`` are per customer who may be
    contacted; ``strategies`` is :func:`~crm_analysis.potential.observed_strategies`."""

    targets: pd.DataFrame
    profit: pd.Series
    contact: pd.Series
    strategies: pd.DataFrame
    earned: bool
    why: Markup
    shrinkage: float = 1.0


def uplift_shrinkage(evaluation: UpliftEvaluation) -> float:
    """Factor in [0, 1] that scales predicted uplift to what held-out contacts showed.

    The ratio of the observed uplift of all held-out contacts (treated minus control conversion
    rate) to their mean predicted uplift, clipped to [0, 1]: a model that promises more than the
    contacts delivered is scaled down, never up; 0 when nothing positive was observed."""
    everyone = evaluation.top.set_index("top_share").loc[1.0]
    predicted, observed = everyone["predicted_uplift"], everyone["observed_uplift"]
    if not np.isfinite(predicted) or predicted <= 0:
        return 1.0  # the model promises nothing on average: nothing to scale down
    if not np.isfinite(observed):
        return 0.0
    return float(np.clip(observed / predicted, 0.0, 1.0))


def plan_targeting(uplift: UpliftAnalysis, frame: pd.DataFrame, features_now: pd.DataFrame,
                   orders: pd.DataFrame, as_of: object, customers: pd.DataFrame | None, *,
                   margin: float, contact_cost: float, max_contacts: int | None = None
                   ) -> Targeting:
    """Expected profit of a contact now, the best list under the budget, and its check on the
    held-out contacts (:func:`uplift_earns_its_place`). Predicted uplift is first scaled by
    :func:`uplift_shrinkage` so that the expected profit does not promise more than the
    held-out contacts showed.

    Parameters
    ----------
    uplift : UpliftAnalysis
        With an evaluation (a randomised contact log).
    frame : DataFrame
        :func:`potential_frame` (``expected_order_value`` per customer).
    features_now : DataFrame
        Customer features at ``as_of`` (``ScoredValue.features``).
    orders, as_of, customers
        Purchases, the scoring day and the customers table (opt-outs are never contacted).
    margin, contact_cost : float
        Profit share of revenue; cost of one contact (currency).
    max_contacts : int, optional
        Budget as a number of contacts.
    """
    shrink = uplift_shrinkage(uplift.evaluation)
    lift = score_uplift(uplift, features_now, orders, as_of, customers) * shrink
    joined = frame.join(lift, how="left")
    sub = joined.loc[lift.index]
    profit = expected_profit(sub["predicted_uplift"], sub["expected_order_value"], margin=margin,
                             contact_cost=contact_cost)
    contact = choose_targets(profit, max_contacts=max_contacts)
    share = contact.mean() if contact.any() else COMPARE_SHARE  # an empty list: compare at 10%
    strategies = observed_strategies(uplift.evaluation, float(share))
    earned, why = uplift_earns_its_place(strategies)
    targets = frame
    if earned:
        targets = joined.assign(expected_incremental_profit=profit, contact=contact)
        targets["contact"] = targets["contact"].astype("boolean").fillna(False).astype(bool)
    return Targeting(targets, profit, contact, strategies, earned, why, shrink)


def targeting_metrics(plan: Targeting) -> list[dict]:
    """The targeting check's headline numbers as ``record_metric`` keyword arguments."""
    observed = plan.strategies.set_index("strategy")["observed_uplift"]
    no_group = ("the contacts picked hold no treated or no control contact, so no uplift can be "
                "observed")
    return [
        {"name": "targeting_observed_uplift", "value": observed.get("uplift model"),
         "label": "Observed uplift of the model's picks (held out)", "fmt": "+.1%",
         "reason": no_group},
        {"name": "targeting_observed_uplift_everyone", "value": observed.get("everyone"),
         "label": "Observed uplift of all held-out contacts", "fmt": "+.1%", "reason": no_group},
        {"name": "targeting_expected_profit",
         "value": float(plan.profit[plan.contact].sum()) if plan.earned else None,
         "label": "Expected profit of the target list (model estimate)", "fmt": ",.0f",
         "reason": "the uplift model's list is not used: it did not beat simple rankings on "
                   "held-out contacts"},
    ]


def plan_sentence(plan: Targeting, *, contact_cost: float, margin: float) -> Markup:
    """The target list's size and expected profit, and how its ranking fared, in words."""
    n, check = int(plan.contact.sum()), targeting_sentence(plan.strategies)
    if plan.shrinkage == 0:
        return md("Held-out contacts showed no uplift on average, so no contact is expected to "
                  "pay at {cost} a contact. {check}", cost=contact_cost, check=check)
    if n == 0:
        return md("No customer has a positive expected profit at {cost} a contact and "
                  "{margin:.0%} margin, so nobody is on the list. {check}", cost=contact_cost,
                  margin=margin, check=check)
    scaled = (md(" with its uplift scaled by {shrink:.2f} to what held-out contacts showed",
                 shrink=plan.shrinkage) if plan.shrinkage < 1 else Markup(""))
    return md("Contacting the **{n:,}** customers with positive expected profit (of {allowed:,} "
              "who may be contacted) would earn **{total:,.0f}** at {cost} a contact and "
              "{margin:.0%} margin, by the model's estimate{scaled}. {check}", n=n,
              allowed=len(plan.profit), total=float(plan.profit[plan.contact].sum()),
              cost=contact_cost, margin=margin, scaled=scaled, check=check)


def targeting_sentence(strategies: pd.DataFrame) -> Markup:
    """The rankings compared on held-out contacts' observed conversions, in words
    (``strategies``: :func:`~crm_analysis.potential.observed_strategies`)."""
    s = strategies.set_index("strategy")
    model = s.loc["uplift model"]
    others = join(md("by {k}, {v}", v=points(r["observed_uplift"]), k=k)
                  for k, r in s.drop(index=["uplift model", "everyone"], errors="ignore")
                  .iterrows())
    everyone = s.loc["everyone", "observed_uplift"] if "everyone" in s.index else float("nan")
    lo, hi = model["observed_uplift_lo"], model["observed_uplift_hi"]
    interval = (md(" (95% CI {lo:+.1f} to {hi:+.1f} points)", lo=100 * lo, hi=100 * hi)
                if np.isfinite(lo) and np.isfinite(hi) else Markup(""))
    return md(
        "Judged on held-out contacts, by what they then did: of the {n:,} the uplift model ranks "
        "highest, the contacted converted {u} than their controls{interval}; for the same number "
        "chosen {others}; for all contacts, {all}.", n=int(model["contacts"]),
        u=points(model["observed_uplift"]), interval=interval,
        others=others or "otherwise: no other ranking", all=points(everyone))


def uplift_earns_its_place(strategies: pd.DataFrame) -> tuple[bool, Markup]:
    """Whether the uplift model's list may be used: on held-out contacts its picks must show a
    positive uplift (95% interval above zero) and more than every simple ranking and than all
    contacts. Returns the decision and the reason in words."""
    s = strategies.set_index("strategy")
    model = s.loc["uplift model"]
    rivals = s.drop(index="uplift model")["observed_uplift"]
    if not model["observed_uplift_lo"] > 0:
        return False, md("on held-out contacts its picks' uplift is not clearly above zero "
                         "(95% CI {lo:+.1f} to {hi:+.1f} points)",
                         lo=100 * model["observed_uplift_lo"],
                         hi=100 * model["observed_uplift_hi"])
    if (rivals >= model["observed_uplift"]).any():
        best = rivals.idxmax()
        return False, md("on held-out contacts the ranking {rival} picked contacts with at least "
                         "as much uplift ({rival_u} against {u})", rival=best,
                         rival_u=points(rivals[best]), u=points(model["observed_uplift"]))
    return True, md("on held-out contacts its picks converted {u} than their controls, more "
                    "than any simple ranking", u=points(model["observed_uplift"]))


def points(difference: float) -> Markup:
    """A difference of two rates in words: ``"4.2 points more"`` / ``"1.0 points less"``."""
    if not np.isfinite(difference):
        return Markup("n/a")
    return Markup(f"{abs(difference) * 100:.1f} points {'more' if difference >= 0 else 'less'}")


def tier_sentence(tiers: pd.DataFrame) -> Markup:
    """What the high-potential tier could add, in words (``tiers``: :func:`potential_summary`)."""
    t = tiers.set_index("potential_tier")
    high = t.loc["high potential"]
    if not high["customers"]:
        return md("No customer is in the high-potential tier.")
    return md("High-potential customers are {n:,} and could add {upside:,.0f} per horizon, "
              "{share:.0%} of all upside; their median upside is {median:,.2f}. These are the "
              "customers to develop; low-potential customers already spend about what they and "
              "their peers can.", n=int(high["customers"]), upside=high["upside"],
              share=high["upside"] / max(t["upside"].sum(), 1e-9), median=high["median_upside"])


def action_sentence(grid: pd.DataFrame) -> Markup:
    """Customers and money behind the retain, grow and let-go actions (``grid``:
    :func:`grid_summary`)."""
    acts = (grid.groupby("action")[["customers", "predicted_value", "value_at_risk"]].sum()
            .reindex(["retain", "grow", "let go"], fill_value=0))
    return md("**Retain** covers {r:,} customers with {risk:,.0f} of customer value at risk; "
              "**grow** covers {g:,} customers expected to spend {grow:,.0f}; **let go** covers "
              "{lg:,} customers expected to spend only {let_go:,.0f}: spending marketing money "
              "there is unlikely to pay back.", r=int(acts.loc["retain", "customers"]),
              risk=acts.loc["retain", "value_at_risk"], g=int(acts.loc["grow", "customers"]),
              grow=acts.loc["grow", "predicted_value"], lg=int(acts.loc["let go", "customers"]),
              let_go=acts.loc["let go", "predicted_value"])


def comparison_sentence(comparison: HoldoutComparison) -> Markup:
    """Which predictor ranks best on the holdout, against the others, in words."""
    table = comparison.metrics
    best = table.loc[comparison.chosen]
    others = table.drop(index=comparison.chosen)
    rest = md("The others reach Gini {gini}. ", gini=join(
        md("{g:.3f} ({name})", g=g, name=name) for name, g in zip(others["model"], others["gini"],
                                                                  strict=True)))
    return md("**{name}** ranks customers best (normalised Gini {b[gini]:.3f}) and is used from "
              "here on. Its top decile brought {b[top_decile_capture]:.0%} of next-period "
              "revenue; it predicted {b[predicted_total]:,.0f} in total against "
              "{b[actual_total]:,.0f} actual. {others}Per customer the error is large (most "
              "customers spend nothing in a given period and a few spend a lot), so use the "
              "predictions to rank and to size groups, not as a promise.", name=best["model"],
              b=best, others=rest if len(others) else Markup(""))


GOOD_GINI, WEAK_GINI = 0.5, 0.25
"""Normalised Gini from which the future-value ranking is reliable, below which it is not."""


def verdict(comparison: HoldoutComparison) -> Verdict:
    """How far to trust the future values: the chosen prediction's normalised Gini on the
    holdout (reliable from 0.5, use with care from 0.25, not reliable below or unchecked)."""
    if UNPRICED in comparison.notes:
        return Verdict(NOT_RELIABLE, "the orders carry no amounts, so there is no spend to "
                       "predict and no customer is valued")
    if not comparison.checked:
        return Verdict(NOT_RELIABLE, "no prediction could be checked on a holdout, so the values "
                       "are each customer's spend in the last period, unchecked")
    best = comparison.metrics.loc[comparison.chosen]
    how = (f"{best['model']} ranked customers with a normalised Gini of {best['gini']:.2f} on "
           f"the {comparison.horizon_days}-day holdout")
    if comparison.chosen in RULES:
        how += "; no model beat the simple rules, so the rule is used"
    level = (RELIABLE if best["gini"] >= GOOD_GINI else
             USE_WITH_CARE if best["gini"] >= WEAK_GINI else NOT_RELIABLE)
    return Verdict(level, how)


def headline_metrics(comparison: HoldoutComparison) -> list[dict]:
    """The future-value comparison's headline numbers as ``record_metric`` keyword arguments
    (``None`` with the reason when nothing could be checked)."""
    reason = None if comparison.checked else "no holdout on this history"
    best = comparison.metrics.loc[comparison.chosen] if comparison.checked else {}
    out = [
        {"name": "potential_horizon_days", "value": comparison.horizon_days,
         "label": "Future value horizon (days)", "fmt": ",d"},
        {"name": "potential_model", "value": MODELS.get(comparison.chosen, comparison.chosen),
         "label": "Future value model"},
        verdict(comparison).metric("potential_verdict", "Future value reliability"),
    ]
    for key, label, fmt in (("spearman", "Future value Spearman (holdout)", ".3f"),
                            ("gini", "Future value normalised Gini (holdout)", ".3f"),
                            ("top_decile_capture", "Revenue share of top predicted decile",
                             ".1%"),
                            ("mae", "Future value MAE per customer", ",.2f")):
        name = ("potential_top_decile_capture" if key == "top_decile_capture" else
                f"potential_holdout_{key}")
        out.append({"name": name, "value": best.get(key) if comparison.checked else None,
                    "label": label, "fmt": fmt, "reason": reason})
    for key, row in comparison.metrics.iterrows():
        out.append({"name": f"potential_gini_{key}", "value": row["gini"],
                    "label": f"Normalised Gini, {row['model']}", "fmt": ".3f"})
    return out
