"""Customer value: RFM segments, revenue concentration, buy-till-you-die models, checks and CLV.

Each model lives in its own module with the paper's equations referenced in comments; the shared
maximum-likelihood machinery (validation, compression to unique histories, multi-start fitting,
standard errors, :class:`ConvergenceError`) is in ``_fitting``. See docs/value_models.md.

- ``rfm_segments``: ``rfm_scores`` (quintiles 1-5), the named segments,
  ``segment_summary``;
- ``concentration``: ``revenue_concentration`` (top 1/10/20%), ``lorenz_curve``, ``gini``;
- ``checks``: holdout checks of a fitted model as DataFrames;
- ``report``: assembly for notebook 03 (``customer_value_table``, ``key_findings``).
"""

from crm_analysis.value._base import NotFittedError
from crm_analysis.value._fitting import ConvergenceError
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
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.pareto_nbd import ParetoNBD
from crm_analysis.value.report import (
    VALUE_TIERS,
    HoldoutSplit,
    PurchaseOrders,
    customer_value_table,
    fit_transaction_models,
    holdout_split,
    key_findings,
    parameter_table,
    purchase_orders,
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
    "SEGMENTS",
    "SEGMENT_GRID",
    "VALUE_TIERS",
    "BetaGeo",
    "ConvergenceError",
    "GammaGamma",
    "HoldoutError",
    "HoldoutSplit",
    "NotFittedError",
    "ParetoNBD",
    "PurchaseOrders",
    "customer_lifetime_value",
    "customer_value_table",
    "fit_transaction_models",
    "gini",
    "holdout_by_frequency",
    "holdout_error",
    "holdout_predictions",
    "holdout_split",
    "key_findings",
    "lorenz_curve",
    "parameter_table",
    "per_period_rate",
    "period_transactions",
    "purchase_orders",
    "quintile_scores",
    "revenue_concentration",
    "rfm_scores",
    "rfm_segment",
    "segment_summary",
    "top_share",
    "tracking",
    "value_tiers",
]
