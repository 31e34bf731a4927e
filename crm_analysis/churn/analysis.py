"""Everything notebook 05 shows, computed in one call that never stops on valid data.

The windows follow the history (:func:`plan_windows`): the horizon is the given one, or the
90th percentile of the gaps between repeat purchases (:data:`MIN_GAPS` gaps needed, else
:data:`DEFAULT_HORIZON_DAYS`); backtest cutoffs lie one horizon apart, the first at least one
horizon after the first order, never before it. With fewer than ``n_cutoffs`` that fit, fewer are
used (at least :data:`MIN_BACKTEST_CUTOFFS`); a derived horizon is shortened (to whole weeks, at
least a week) before the backtest is given up. Without a backtest, or when the labels of a backtest
date hold one class only, customers are ranked by the simple rule (days since the last purchase
against the horizon) and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis.churn.backtest import BacktestResult, backtest
from crm_analysis.churn.choice import ModelChoice, choose_model
from crm_analysis.churn.events import ChurnInputs, day_number
from crm_analysis.churn.explain import feature_importance, partial_dependence_table
from crm_analysis.churn.features import FeatureSet, build_panel
from crm_analysis.churn.labels import Horizon, repeat_gaps
from crm_analysis.churn.models import make_models
from crm_analysis.churn.scoring import ScoreResult, score_customers
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.markup import Markup, join, md

__all__ = ["DEFAULT_HORIZON_DAYS", "MIN_BACKTEST_CUTOFFS", "MIN_GAPS", "ChurnAnalysis",
           "Windows", "analyse", "plan_windows", "rule_scores"]

MIN_GAPS = 20
"""Fewest gaps between two purchases of one customer to learn the usual buying rhythm."""

DEFAULT_HORIZON_DAYS = 90
"""The horizon when the data has too few repeat purchases to derive one."""

MIN_BACKTEST_CUTOFFS = 2
"""Fewest labelled backtest dates: the models learn on the first and are tested on the last."""

QUANTILE = 0.9
"""Share of repeat gaps shorter than the derived horizon."""


@dataclass(frozen=True)
class Windows:
    """The horizon and the backtest dates chosen for this history.

    Attributes
    ----------
    horizon : Horizon
        Days, and why (``reasoning``, Markdown).
    cutoffs : list of Timestamp
        Labelled backtest dates, oldest first; empty when the history allows no backtest.
    notes : list of Markup
        What was shortened or left out, and how much history a full backtest needs.
    """

    horizon: Horizon
    cutoffs: list[pd.Timestamp]
    notes: list[Markup]


def _cutoffs_that_fit(history_days: int, horizon: int) -> int:
    """Cutoffs ``snapshot - k * horizon`` (k >= 1) with one horizon of history before each."""
    return max(0, (history_days - 1) // horizon - 1)


def plan_windows(log, as_of: object, *, horizon_days: int | None = None,
                 n_cutoffs: int = 4) -> Windows:
    """The churn horizon and backtest dates for the history in ``log`` (see the module text).

    Parameters
    ----------
    log : PurchaseLog
        Purchases; only those up to ``as_of`` are used.
    as_of : date-like
    horizon_days : int, optional
        A fixed horizon; None derives it from the repeat gaps.
    n_cutoffs : int
        Wanted backtest dates.

    Returns
    -------
    Windows
    """
    snap = day_number(as_of)
    history = int(snap - log.first_day() + 1) if len(log.day) else 0
    notes: list[Markup] = []
    if horizon_days is not None:
        days = int(horizon_days)
        if days < 1:
            raise ValueError(f"churn_horizon_days must be >= 1, got {horizon_days}")
        horizon = Horizon(days, float("nan"), False, False,
                          md("The churn horizon is set to **{days} days** (a parameter).",
                             days=days))
    else:
        gaps = repeat_gaps(log, as_of)
        if len(gaps) >= MIN_GAPS:
            q = float(np.quantile(gaps, QUANTILE))
            days = max(DAYS_PER_WEEK, round(q / DAYS_PER_WEEK) * DAYS_PER_WEEK)
            why = md("{quantile:.0%} of the {n:,} gaps between two purchases of the same customer "
                     "are shorter than {q:,.0f} days; rounded to whole weeks the churn horizon is "
                     "**{days} days**. A customer who makes no purchase within {days} days of a "
                     "date has stayed away longer than {quantile:.0%} of the gaps returning "
                     "customers ever show, so we call her churned.", quantile=QUANTILE,
                     n=len(gaps), q=q, days=days)
            horizon = Horizon(days, q, True, False, why)
        else:
            days = DEFAULT_HORIZON_DAYS
            horizon = Horizon(days, float("nan"), False, False, md(
                "The data has {n:,} gaps between two purchases of the same customer, too few "
                "(at least {need} are needed) to learn the usual buying rhythm, so the churn "
                "horizon is set to **{days} days**.", n=len(gaps), need=MIN_GAPS, days=days))
    fit = _cutoffs_that_fit(history, horizon.days)
    if fit < MIN_BACKTEST_CUTOFFS and horizon.derived:
        shorter = max(0, (history - 1) // (MIN_BACKTEST_CUTOFFS + 1) // DAYS_PER_WEEK
                      * DAYS_PER_WEEK)
        if shorter >= DAYS_PER_WEEK:
            notes.append(md("The history ({history:,} days) is too short for backtest dates "
                            "{days} days apart, so the horizon is shortened to **{new} days**.",
                            history=history, days=horizon.days, new=shorter))
            horizon = Horizon(shorter, horizon.quantile_days, True, True,
                              md("{why} {note}", why=horizon.reasoning, note=notes[-1]))
            fit = _cutoffs_that_fit(history, shorter)
    n = min(int(n_cutoffs), fit)
    if n < MIN_BACKTEST_CUTOFFS:
        notes.append(md("No backtest: it needs {need} backtest dates {days} days apart after one "
                        "horizon of history, that is at least {total:,} days, and the data spans "
                        "{history:,}.", need=MIN_BACKTEST_CUTOFFS, days=horizon.days,
                        total=(MIN_BACKTEST_CUTOFFS + 1) * horizon.days + 1, history=history))
        return Windows(horizon, [], notes)
    if n < n_cutoffs:
        notes.append(md("The history ({history:,} days) allows {n} backtest dates {days} days "
                        "apart instead of {wanted}.", history=history, n=n, days=horizon.days,
                        wanted=n_cutoffs))
    day = pd.Timestamp(as_of).normalize()
    return Windows(horizon, [day - pd.Timedelta(days=horizon.days * k) for k in range(n, 0, -1)],
                   notes)


def rule_scores(now: pd.DataFrame, horizon_days: int, clv: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """The simple rule, when no model can be checked: silence against the horizon.

    A customer silent for longer than the horizon is high risk, for more than half of it medium,
    else low. There is no probability (NaN) and so no value at risk; the call list puts high-risk
    customers first, the most valuable (CLV) first among them, then the longest silent.

    Parameters
    ----------
    now : DataFrame
        Features at the snapshot indexed by customer id, with ``recency_days``.
    horizon_days : int
    clv : DataFrame, optional
        ``customer_id`` and ``clv``.

    Returns
    -------
    DataFrame
        The columns of :attr:`ScoreResult.scores`.
    """
    recency = now["recency_days"].to_numpy(dtype=float)
    tier = np.where(recency > horizon_days, "high",
                    np.where(recency > horizon_days / 2, "medium", "low"))
    value = (pd.Series(np.nan, index=now.index) if clv is None else
             clv.drop_duplicates("customer_id").set_index("customer_id")["clv"]
             .reindex(now.index).astype(float))
    reason = ("no purchase for " + pd.Series(recency).round().astype("int64").astype("string")
              + f" days (horizon {horizon_days} days)")
    scores = pd.DataFrame({
        "customer_id": now.index.to_numpy(), "churn_probability": np.nan, "risk_tier": tier,
        "clv": value.to_numpy(), "value_at_risk": np.nan, "top_reasons": reason.to_numpy(),
        "reason_1": reason.to_numpy(), "reason_2": "", "reason_3": "",
        "_tier": pd.Categorical(tier, ["high", "medium", "low"], ordered=True).codes,
        "_recency": recency,
    })
    scores = scores.sort_values(["_tier", "clv", "_recency"], ascending=[True, False, False],
                                na_position="last", kind="mergesort")
    scores = scores.drop(columns=["_tier", "_recency"]).reset_index(drop=True)
    scores["call_rank"] = np.arange(1, len(scores) + 1)
    scores["customer_id"] = scores["customer_id"].astype("string")
    return scores


@dataclass
class ChurnAnalysis:
    """Everything notebook 05 shows (see :func:`analyse`).

    Attributes
    ----------
    as_of : Timestamp
        The scoring day.
    windows : Windows
    features : FeatureSet
    result : BacktestResult or None
        None when there is no backtest (the reason is in ``skipped``).
    choice : ModelChoice or None
    importance, dependence : DataFrame or None
        Permutation importance and partial dependence of the chosen model.
    scored : ScoreResult or None
        The chosen model's scores; None when customers are ranked by the rule.
    scores : DataFrame
        One row per customer active at the snapshot, in call order (model or rule).
    basis : Markup
        How the scores were made, in one sentence.
    skipped : list of Markup
    """

    as_of: pd.Timestamp
    windows: Windows
    features: FeatureSet
    result: BacktestResult | None
    choice: ModelChoice | None
    importance: pd.DataFrame | None
    dependence: pd.DataFrame | None
    scored: ScoreResult | None
    scores: pd.DataFrame
    basis: Markup
    skipped: list[Markup] = field(default_factory=list)

    @property
    def horizon(self) -> Horizon:
        return self.windows.horizon


def _one_class(features: FeatureSet, cutoffs: Sequence[pd.Timestamp]) -> Markup | None:
    """Why the labels cannot train and test a model, or None."""
    panel = features.panel[features.panel["churned"].notna()]
    for cutoff in cutoffs:
        labels = panel.loc[panel["cutoff"] == cutoff, "churned"]
        if labels.nunique() < 2:
            what = ("no customer was active" if labels.empty else
                    "every active customer churned" if labels.iloc[0] == 1 else
                    "no active customer churned")
            return md("No backtest: on {day:%d %B %Y} {what}, so a model cannot be trained and "
                      "tested on this data.", day=cutoff, what=what)
    return None


def analyse(inputs: ChurnInputs, as_of: object, *, horizon_days: int | None = None,
            n_cutoffs: int = 4, n_bootstrap: int = 200, seed: int = 0,
            clv: pd.DataFrame | None = None, n_reason_features: int = 15) -> ChurnAnalysis:
    """Horizon, backtest, model choice, drivers and scores as of ``as_of``.

    Parameters
    ----------
    inputs : ChurnInputs
        From :func:`~crm_analysis.churn.prepare_inputs`.
    as_of : date-like
    horizon_days : int, optional
        Fixed churn horizon; None derives it (see :func:`plan_windows`).
    n_cutoffs : int
        Wanted backtest dates.
    n_bootstrap : int
        Resamples of the backtest intervals.
    seed : int
        Random state of the models, samples and bootstrap.
    clv : DataFrame, optional
        ``customer_id`` and ``clv`` for the value at risk.
    n_reason_features : int
        The most important features considered as reasons.

    Returns
    -------
    ChurnAnalysis
        Never raises on valid inputs.
    """
    snap = pd.Timestamp(as_of).normalize()
    windows = plan_windows(inputs.log, snap, horizon_days=horizon_days, n_cutoffs=n_cutoffs)
    skipped = list(windows.notes if not windows.cutoffs else [])
    if not len(inputs.log.customers):
        empty = FeatureSet(pd.DataFrame({"cutoff": pd.Series(dtype="datetime64[ns]"),
                                         "customer_id": pd.Series(dtype="string"),
                                         "recency_days": pd.Series(dtype=float),
                                         "churned": pd.Series(dtype=float)}),
                           ["recency_days"], windows.horizon.days)
        note = md("No purchase has a customer id: there are no customers to score.")
        return ChurnAnalysis(snap, Windows(windows.horizon, [], [note]), empty, None, None, None,
                             None, None, rule_scores(empty.at(snap), windows.horizon.days),
                             note, [note])
    features = build_panel(inputs, [*windows.cutoffs, snap], horizon_days=windows.horizon.days,
                           as_of=snap, random_state=seed)
    now = features.at(snap)
    result = choice = importance = dependence = scored = None
    reason = _one_class(features, windows.cutoffs) if windows.cutoffs else None
    if reason is not None:
        skipped.append(reason)
    if windows.cutoffs and reason is None and len(now):
        models = make_models(features.feature_names, random_state=seed)
        result = backtest(features, models, n_bootstrap=n_bootstrap, seed=seed)
        choice = choose_model(result)
        chosen = result.models[choice.name]
        importance = feature_importance(chosen, result.test_features,
                                        result.predictions["churned"], random_state=seed)
        dependence = partial_dependence_table(chosen, result.test_features,
                                              importance["feature"].head(3).tolist(),
                                              random_state=seed)
        scored = score_customers(features, models[choice.name], snap, clv=clv,
                                 reason_features=importance["feature"].head(n_reason_features)
                                 .tolist())
        scores = scored.scores
        basis = (md("No learned model beat the best simple rule clearly, so the scores come "
                    "from the rule ({label}), fitted on every backtest date.", label=choice.label)
                 if choice.is_rule else
                 md("Scores come from the chosen model ({label}), trained on every backtest date "
                    "and calibrated on the latest.", label=choice.label))
    else:
        scores = rule_scores(now[features.feature_names] if len(now) else now,
                             windows.horizon.days, clv)
        basis = md("No model could be checked on this data, so customers are ranked by the "
                   "simple rule: silent for longer than the {days}-day horizon is high risk, for "
                   "more than half of it medium. There are no churn probabilities.",
                   days=windows.horizon.days)
    if not len(now):
        skipped.append(md("No customer bought in the year before {day:%d %B %Y}: nobody is "
                          "active to score.", day=snap))
    return ChurnAnalysis(snap, windows, features, result, choice, importance, dependence, scored,
                         scores, basis, skipped)


def windows_sentence(analysis: ChurnAnalysis) -> Markup:
    """The horizon and the backtest dates in words."""
    w, snap = analysis.windows, analysis.as_of
    dates = md("The backtest uses {n} dates {days} days apart: {dates}.", n=len(w.cutoffs),
               days=w.horizon.days, dates=join(f"{c:%d %b %Y}" for c in w.cutoffs)) \
        if w.cutoffs else Markup("")
    return md("{why} {dates} {notes} Today's scores are as of **{snap:%d %B %Y}** and look "
              "{days} days ahead.", why=w.horizon.reasoning, dates=dates,
              notes=join(w.notes, " "), snap=snap, days=w.horizon.days)
