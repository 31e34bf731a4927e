"""Churn prediction: who will stop buying, how sure we are, and what is at stake.

A customer churns at a cutoff when she makes no purchase in the horizon after it (non-contractual
setting). See docs/churn.md.

- ``events``: ``prepare_inputs`` (one pass over the cleaned tables), ``purchase_log``;
- ``labels``: ``churn_labels``, ``repeat_gaps``;
- ``analysis``: ``analyse``, everything notebook 05 shows in one call that never stops on
  valid data; ``plan_windows`` fits the horizon and backtest dates to the history;
- ``features``: ``churn_features`` at a cutoff (data up to it only), ``build_panel``;
- ``models``: baselines (recency, BG/NBD) and models (logistic, gradient boosting) wrapped in
  ``OutOfTimeCalibrated``; ``make_models``;
- ``metrics``: weighted metrics evaluated for a block of bootstrap resamples at once
  (``roc_auc``, ``average_precision``, ``top_decile_lift``, ``weighted_brier``,
  ``calibration_bands``);
- ``backtest``: rolling-origin ``backtest``, ``evaluate`` with paired bootstrap intervals;
- ``choice``: ``choose_model``, a learned model only where it clearly beats a simple rule;
- ``explain``: ``feature_importance``, ``partial_dependence_table``, per-customer reasons;
- ``scoring``: ``score_customers`` at the snapshot, ``tier_summary``, ``call_list`` (for people),
  ``crm_export`` (for import jobs);
- ``oracle``: the synthetic data's best reachable AUC;
- ``report``: findings in words; ``charts``: the report's figures.
"""

from crm_analysis.churn.analysis import (
    ChurnAnalysis,
    Windows,
    analyse,
    plan_windows,
    rule_scores,
    windows_sentence,
)
from crm_analysis.churn.backtest import BacktestResult, backtest, evaluate
from crm_analysis.churn.choice import ModelChoice, choose_model
from crm_analysis.churn.events import ChurnInputs, PurchaseLog, prepare_inputs, purchase_log
from crm_analysis.churn.explain import (
    feature_importance,
    partial_dependence_table,
    reason_texts,
    risk_contributions,
)
from crm_analysis.churn.features import (
    FEATURES,
    FeatureSet,
    build_panel,
    churn_features,
    feature_groups,
    feature_info,
)
from crm_analysis.churn.labels import ACTIVE_DAYS, Horizon, churn_labels, repeat_gaps
from crm_analysis.churn.metrics import (
    METRICS,
    average_precision,
    calibration_bands,
    roc_auc,
    top_decile_lift,
    weighted_brier,
)
from crm_analysis.churn.models import (
    BASELINES,
    CANDIDATES,
    MODEL_LABELS,
    OutOfTimeCalibrated,
    make_models,
)
from crm_analysis.churn.oracle import (
    References,
    bayes_probability,
    history_probability,
    oracle_auc,
    oracle_probability,
    synthetic_references,
)
from crm_analysis.churn.report import (
    absent_tables_text,
    headline_metrics,
    key_findings,
    metric_value,
    reference_sentence,
    verdict,
)
from crm_analysis.churn.scoring import (
    CALL_LIST_COLUMNS,
    CRM_COLUMNS,
    RISK_TIERS,
    ScoreResult,
    call_list,
    crm_export,
    risk_tiers,
    score_customers,
    tier_summary,
)

__all__ = [
    "ACTIVE_DAYS",
    "BASELINES",
    "CALL_LIST_COLUMNS",
    "CANDIDATES",
    "CRM_COLUMNS",
    "FEATURES",
    "METRICS",
    "MODEL_LABELS",
    "RISK_TIERS",
    "BacktestResult",
    "ChurnAnalysis",
    "ChurnInputs",
    "FeatureSet",
    "Horizon",
    "ModelChoice",
    "OutOfTimeCalibrated",
    "PurchaseLog",
    "References",
    "ScoreResult",
    "Windows",
    "absent_tables_text",
    "analyse",
    "average_precision",
    "backtest",
    "bayes_probability",
    "build_panel",
    "calibration_bands",
    "call_list",
    "choose_model",
    "churn_features",
    "churn_labels",
    "crm_export",
    "evaluate",
    "feature_groups",
    "feature_importance",
    "feature_info",
    "headline_metrics",
    "history_probability",
    "key_findings",
    "make_models",
    "metric_value",
    "oracle_auc",
    "oracle_probability",
    "partial_dependence_table",
    "plan_windows",
    "prepare_inputs",
    "purchase_log",
    "reason_texts",
    "reference_sentence",
    "repeat_gaps",
    "risk_contributions",
    "risk_tiers",
    "roc_auc",
    "rule_scores",
    "score_customers",
    "synthetic_references",
    "tier_summary",
    "top_decile_lift",
    "verdict",
    "weighted_brier",
    "windows_sentence",
]
