"""Scoring at the snapshot: churn probability, risk tier, value at risk, reasons, CRM export.

The chosen model is trained on every labelled cutoff (calibrated on the latest, see
:class:`~crm_analysis.churn.OutOfTimeCalibrated`) and scores every customer active at the
snapshot. ``value_at_risk = churn_probability x clv``, with the customer lifetime value from
notebook 03 (discounted expected spend over its horizon): the revenue at stake if the customer
is lost. Customers without a CLV get none (NaN), never 0. The call order puts the high-risk
tier first and, within a tier, the most value at risk first: a valuable customer at low risk is
not called before one who is about to leave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from crm_analysis.churn.explain import reason_texts, risk_contributions
from crm_analysis.churn.features import FeatureSet
from crm_analysis.churn.models import OutOfTimeCalibrated

__all__ = ["CALL_LIST_COLUMNS", "CRM_COLUMNS", "RISK_TIERS", "ScoreResult", "call_list",
           "crm_export", "risk_tiers", "score_customers", "tier_summary"]

RISK_TIERS: tuple[str, ...] = ("high", "medium", "low")
TIER_THRESHOLDS: tuple[float, float] = (0.4, 0.7)
"""P(churn) bounds: low below 0.4, medium 0.4 to below 0.7, high from 0.7."""

CRM_COLUMNS: dict[str, str] = {
    "External_Customer_ID__c": "customer id of the source system (the upsert key)",
    "Churn_Probability_Pct__c": "P(no purchase in the horizon), percent 0-100, 1 decimal",
    "Churn_Risk_Tier__c": "High, Medium or Low",
    "Customer_Lifetime_Value__c": "CLV from notebook 03, currency, 2 decimals (empty if unknown)",
    "Churn_Value_At_Risk__c": "probability x CLV, currency, 2 decimals (empty if CLV unknown)",
    "Churn_Reason_1__c": "strongest reason the risk is high (text, may be empty)",
    "Churn_Reason_2__c": "second reason",
    "Churn_Reason_3__c": "third reason",
    "Churn_Horizon_Days__c": "the horizon the probability refers to, days",
    "Churn_Scored_On__c": "snapshot date, YYYY-MM-DD",
    "Churn_Call_Rank__c": "1 = call first (by value at risk, then probability)",
}
"""Columns of the CRM export (Salesforce custom-field style) and what each holds."""


def risk_tiers(probability, thresholds: tuple[float, float] = TIER_THRESHOLDS) -> pd.Categorical:
    """Risk tier of each probability: ``low`` < thresholds[0] <= ``medium`` < thresholds[1] <=
    ``high``."""
    codes = np.searchsorted(np.asarray(thresholds), np.asarray(probability, float), side="right")
    return pd.Categorical.from_codes(2 - codes, categories=list(RISK_TIERS))


@dataclass(frozen=True)
class ScoreResult:
    """Scores at the snapshot.

    Attributes
    ----------
    scores : DataFrame
        One row per active customer, highest value at risk first: ``customer_id``,
        ``churn_probability``, ``risk_tier``, ``clv``, ``value_at_risk``, ``top_reasons``,
        ``reason_1`` .. ``reason_3``, ``call_rank``.
    model : OutOfTimeCalibrated
        Fitted on all labelled cutoffs.
    reference : Series
        Feature medians of the training rows (the "typical customer" of the reasons).
    """

    scores: pd.DataFrame
    model: OutOfTimeCalibrated = field(repr=False)
    reference: pd.Series = field(repr=False)


def score_customers(
    features: FeatureSet,
    model: OutOfTimeCalibrated,
    as_of: object,
    *,
    clv: pd.DataFrame | None = None,
    reason_features: Sequence[str] | None = None,
    n_reasons: int = 3,
    thresholds: tuple[float, float] = TIER_THRESHOLDS,
) -> ScoreResult:
    """Train ``model`` on all labelled cutoffs and score the customers active at ``as_of``.

    Parameters
    ----------
    features : FeatureSet
        Must contain ``as_of`` (unlabelled) and the labelled cutoffs.
    model : OutOfTimeCalibrated
        Unfitted (cloned).
    as_of : date-like
    clv : DataFrame, optional
        ``customer_id`` and ``clv`` (currency), e.g. notebook 03's customer_value table.
    reason_features : sequence of str, optional
        Features considered as reasons (default all).
    n_reasons : int, default 3
    thresholds : (float, float)
        Risk tier bounds on P(churn).

    Returns
    -------
    ScoreResult
    """
    names = features.feature_names
    train = features.panel[features.panel["churned"].notna()]
    fitted = clone(model).fit(train[names], train["churned"].to_numpy(),
                              groups=train["cutoff"].to_numpy())
    day = pd.Timestamp(as_of)
    cutoffs = pd.DatetimeIndex(features.panel["cutoff"].unique()).sort_values()
    if day not in cutoffs:
        raise ValueError(
            f"the feature panel has no rows at the snapshot {day:%Y-%m-%d}: build it with the "
            f"snapshot among its cutoffs (build_panel(inputs, [..., snapshot], ...)); its "
            f"cutoffs are {', '.join(f'{c:%Y-%m-%d}' for c in cutoffs) or 'none'}")
    now = features.at(day)[names]
    if now.empty:
        raise ValueError(f"no customer is active at {day:%Y-%m-%d}")
    p = fitted.predict_proba(now)[:, 1]
    reference = train[names].median()
    contributions = risk_contributions(fitted, now, reference, features=reason_features)
    reasons = reason_texts(contributions, now, horizon_days=features.horizon_days,
                           reference=reference, n_reasons=n_reasons)
    value = (pd.Series(np.nan, index=now.index) if clv is None else
             clv.drop_duplicates("customer_id").set_index("customer_id")["clv"]
             .reindex(now.index).astype(float))
    scores = pd.DataFrame({
        "customer_id": now.index.to_numpy(),
        "churn_probability": p,
        "risk_tier": risk_tiers(p, thresholds).astype(str),
        "clv": value.to_numpy(),
        "value_at_risk": p * value.to_numpy(),
        "top_reasons": reasons["top_reasons"].to_numpy(),
        **{c: reasons[c].to_numpy() for c in reasons.columns if c.startswith("reason_")},
    })
    # call order: high risk first, the most value at risk first within a tier
    scores["_tier"] = pd.Categorical(scores["risk_tier"], list(RISK_TIERS)).codes
    scores = (scores.sort_values(["_tier", "value_at_risk", "churn_probability"],
                                 ascending=[True, False, False], na_position="last",
                                 kind="mergesort")
              .drop(columns="_tier").reset_index(drop=True))
    scores["call_rank"] = np.arange(1, len(scores) + 1)
    scores["customer_id"] = scores["customer_id"].astype("string")
    return ScoreResult(scores, fitted, reference)


def tier_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers, mean probability, CLV and value at risk per risk tier (high first).

    Returns
    -------
    DataFrame indexed by tier: ``customers``, ``share``, ``mean_probability``, ``clv``,
    ``value_at_risk``, ``value_at_risk_share``.
    """
    out = (scores.groupby("risk_tier", sort=False)
           .agg(customers=("churn_probability", "size"),
                mean_probability=("churn_probability", "mean"),
                clv=("clv", "sum"), value_at_risk=("value_at_risk", "sum"))
           .reindex(list(RISK_TIERS)).fillna({"customers": 0}))
    out["share"] = out["customers"] / max(len(scores), 1)
    total = out["value_at_risk"].sum()
    out["value_at_risk_share"] = out["value_at_risk"] / total if total > 0 else np.nan
    return out[["customers", "share", "mean_probability", "clv", "value_at_risk",
                "value_at_risk_share"]].rename_axis("risk_tier")


CALL_LIST_COLUMNS: dict[str, str] = {
    "rank": "call order, 1 = call first (high risk first, then the largest value at risk)",
    "customer": "customer id (look the name up in the CRM)",
    "churn probability": "P(no purchase in the horizon), 0-1",
    "risk tier": "high, medium or low",
    "CLV": "customer lifetime value from notebook 03, currency (empty if unknown)",
    "value at risk": "churn probability x CLV, currency (empty if CLV unknown)",
    "why at risk": "the strongest reasons, in words",
}
"""The call list for people (page table and ``churn_call_list.csv``): column -> meaning."""


def call_list(scores: pd.DataFrame) -> pd.DataFrame:
    """The scores as a call list for people: :data:`CALL_LIST_COLUMNS`, call order kept."""
    return pd.DataFrame({
        "rank": scores["call_rank"].to_numpy(),
        "customer": scores["customer_id"].astype("string").to_numpy(),
        "churn probability": scores["churn_probability"].round(4).to_numpy(),
        "risk tier": scores["risk_tier"].astype("string").to_numpy(),
        "CLV": scores["clv"].round(2).to_numpy(),
        "value at risk": scores["value_at_risk"].round(2).to_numpy(),
        "why at risk": scores["top_reasons"].astype("string").to_numpy(),
    })


def crm_export(scores: pd.DataFrame, *, scored_on: object, horizon_days: int) -> pd.DataFrame:
    """The scores with CRM import column names (see :data:`CRM_COLUMNS`), call order kept.

    Returns
    -------
    DataFrame with the columns of :data:`CRM_COLUMNS`, in that order.
    """
    reason = [scores.get(f"reason_{k}", pd.Series("", index=scores.index)) for k in (1, 2, 3)]
    return pd.DataFrame({
        "External_Customer_ID__c": scores["customer_id"].astype("string"),
        "Churn_Probability_Pct__c": (scores["churn_probability"] * 100).round(1),
        "Churn_Risk_Tier__c": scores["risk_tier"].str.capitalize(),
        "Customer_Lifetime_Value__c": scores["clv"].round(2),
        "Churn_Value_At_Risk__c": scores["value_at_risk"].round(2),
        "Churn_Reason_1__c": reason[0], "Churn_Reason_2__c": reason[1],
        "Churn_Reason_3__c": reason[2],
        "Churn_Horizon_Days__c": int(horizon_days),
        "Churn_Scored_On__c": f"{pd.Timestamp(scored_on):%Y-%m-%d}",
        "Churn_Call_Rank__c": scores["call_rank"],
    })
