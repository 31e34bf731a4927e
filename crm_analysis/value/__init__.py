"""Customer value: RFM segments, revenue concentration, buy-till-you-die models, checks and CLV.

Each model lives in its own module with the paper's equations referenced in comments; the shared
maximum-likelihood machinery (validation, compression to unique histories, multi-start fitting,
standard errors, :class:`ConvergenceError`) is in ``_fitting``. See docs/value_models.md.

- ``rfm_segments``: ``rfm_scores`` (quintiles 1-5), the named segments,
  ``segment_summary``;
- ``concentration``: ``revenue_concentration`` (top 1/10/20%), ``lorenz_curve``, ``gini``;
- ``checks``: holdout checks of a fitted model as DataFrames;
- ``report``: the customer table (``customer_value_table``, ``empirical_value_table``), holdout
  windows, parameter table;
- ``analysis``: ``analyse``, everything notebook 03 shows in one call that never stops on valid
  data (``fit_models`` leaves out what the data cannot support, with a note), ``key_findings``.
"""

from sklearn.exceptions import NotFittedError  # scikit-learn's own (issue 19)

from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.analysis import (
    MIN_CUSTOMERS,
    MIN_HOLDOUT_WEEKS,
    MIN_REPEAT_BUYERS,
    WIN_BACK_SEGMENTS,
    Fits,
    HoldoutCheck,
    ValueAnalysis,
    analyse,
    fit_models,
    headline_metrics,
    holdout_sentence,
    key_findings,
    model_parameters,
    parameter_sentence,
    rate_rule,
    verdict,
    win_back_list,
)
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.checks import (
    HoldoutError,
    holdout_by_frequency,
    holdout_error,
    holdout_predictions,
    period_transactions,
    tracking,
)
from crm_analysis.value.clv import customer_lifetime_value, per_period_rate
from crm_analysis.value.concentration import gini, lorenz_curve, revenue_concentration, top_share
from crm_analysis.value.fallback import FALLBACK_PENALIZERS, fit_with_fallback
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.pareto_nbd import ParetoNBD
from crm_analysis.value.report import (
    VALUE_TIERS,
    HoldoutSplit,
    PurchaseOrders,
    customer_value_table,
    empirical_value_table,
    holdout_split,
    parameter_table,
    purchase_orders,
    tier_table,
    top_customers,
    value_tiers,
)
from crm_analysis.value.rfm_segments import (
    SEGMENT_GRID,
    SEGMENTS,
    quintile_scores,
    rfm_scores,
    rfm_segment,
    segment_summary,
)

__all__ = [
    "FALLBACK_PENALIZERS",
    "MIN_CUSTOMERS",
    "MIN_HOLDOUT_WEEKS",
    "MIN_REPEAT_BUYERS",
    "SEGMENTS",
    "SEGMENT_GRID",
    "VALUE_TIERS",
    "WIN_BACK_SEGMENTS",
    "BetaGeo",
    "ConvergenceError",
    "Fits",
    "GammaGamma",
    "HoldoutCheck",
    "HoldoutError",
    "HoldoutSplit",
    "NotFittedError",
    "ParetoNBD",
    "PurchaseOrders",
    "ValueAnalysis",
    "analyse",
    "customer_lifetime_value",
    "customer_value_table",
    "empirical_value_table",
    "fit_models",
    "fit_with_fallback",
    "gini",
    "headline_metrics",
    "holdout_by_frequency",
    "holdout_error",
    "holdout_predictions",
    "holdout_sentence",
    "holdout_split",
    "key_findings",
    "lorenz_curve",
    "model_parameters",
    "parameter_sentence",
    "parameter_table",
    "per_period_rate",
    "period_transactions",
    "purchase_orders",
    "quintile_scores",
    "rate_rule",
    "revenue_concentration",
    "rfm_scores",
    "rfm_segment",
    "segment_summary",
    "tier_table",
    "top_customers",
    "top_share",
    "tracking",
    "value_tiers",
    "verdict",
    "win_back_list",
]
