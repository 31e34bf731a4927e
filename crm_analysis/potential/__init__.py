"""Customer potential: future value, headroom, positioning, uplift, targeting and exports.

- ``future_value``: three predictors of spend over the next horizon (BG/NBD x Gamma-Gamma,
  two-stage, gradient boosting), compared on a time-based holdout, refitted for scoring;
- ``metrics``: Spearman, normalised Gini, top-decile capture, decile calibration, MAE;
- ``headroom``: current against predicted value, look-alike headroom, potential tiers;
- ``positioning``: the value x potential x churn-risk grid and its actions;
- ``uplift``: randomisation checks and the two-model uplift with Qini evaluation;
- ``targeting``: expected incremental profit, budgets, profit curves, naive comparisons;
- ``export``: the customer_potential table and CSV target lists;
- ``charts`` and ``report``: figures and assembly for notebook 06.

See docs/potential.md.
"""

from crm_analysis.potential import charts, metrics
from crm_analysis.potential.export import (
    POTENTIAL_COLUMNS,
    TARGET_LIST_COLUMNS,
    customer_potential_table,
    target_list,
)
from crm_analysis.potential.future_value import (
    FEATURE_SOURCE,
    MIN_HORIZON_DAYS,
    HoldoutComparison,
    ScoredValue,
    compare_models,
    fit_horizon,
    predict_future_value,
    prepare,
    true_expected_spend,
    value_frame,
)
from crm_analysis.potential.headroom import (
    POTENTIAL_TIERS,
    behaviour_group,
    potential_scores,
    potential_summary,
    potential_tiers,
)
from crm_analysis.potential.positioning import (
    ACTION_WHY,
    ACTIONS,
    TIER_BANDS,
    churn_risk,
    grid_summary,
    position,
)
from crm_analysis.potential.report import (
    Targeting,
    UpliftAnalysis,
    action_sentence,
    comparison_intro,
    comparison_sentence,
    headline_metrics,
    key_findings,
    nothing_to_value,
    plan_sentence,
    plan_targeting,
    potential_frame,
    score_uplift,
    skipped_notes,
    targeting_metrics,
    targeting_sentence,
    tier_sentence,
    uplift_analysis,
    uplift_earns_its_place,
    uplift_shrinkage,
    verdict,
)
from crm_analysis.potential.spend_models import (
    MODELS,
    RULES,
    AverageSpendRate,
    BoostedSpend,
    BTYDSpend,
    LastPeriodSpend,
    TwoStageSpend,
)
from crm_analysis.potential.targeting import (
    choose_targets,
    compare_strategies,
    expected_profit,
    profit_curve,
)
from crm_analysis.potential.uplift import (
    STRATEGIES,
    NotRandomisedError,
    RandomisationCheck,
    TwoModelUplift,
    check_randomisation,
    observed_strategies,
    prepare_contacts,
    qini_coefficient,
    qini_curve,
    uplift_at,
)

__all__ = [
    "ACTIONS",
    "ACTION_WHY",
    "FEATURE_SOURCE",
    "MIN_HORIZON_DAYS",
    "MODELS",
    "POTENTIAL_COLUMNS",
    "POTENTIAL_TIERS",
    "RULES",
    "STRATEGIES",
    "TARGET_LIST_COLUMNS",
    "TIER_BANDS",
    "AverageSpendRate",
    "BTYDSpend",
    "BoostedSpend",
    "HoldoutComparison",
    "LastPeriodSpend",
    "NotRandomisedError",
    "RandomisationCheck",
    "ScoredValue",
    "Targeting",
    "TwoModelUplift",
    "TwoStageSpend",
    "UpliftAnalysis",
    "action_sentence",
    "behaviour_group",
    "charts",
    "check_randomisation",
    "choose_targets",
    "churn_risk",
    "compare_models",
    "compare_strategies",
    "comparison_intro",
    "comparison_sentence",
    "customer_potential_table",
    "expected_profit",
    "fit_horizon",
    "grid_summary",
    "headline_metrics",
    "key_findings",
    "metrics",
    "nothing_to_value",
    "observed_strategies",
    "plan_sentence",
    "plan_targeting",
    "position",
    "potential_frame",
    "potential_scores",
    "potential_summary",
    "potential_tiers",
    "predict_future_value",
    "prepare",
    "prepare_contacts",
    "profit_curve",
    "qini_coefficient",
    "qini_curve",
    "score_uplift",
    "skipped_notes",
    "target_list",
    "targeting_metrics",
    "targeting_sentence",
    "tier_sentence",
    "true_expected_spend",
    "uplift_analysis",
    "uplift_at",
    "uplift_earns_its_place",
    "uplift_shrinkage",
    "value_frame",
    "verdict",
]
