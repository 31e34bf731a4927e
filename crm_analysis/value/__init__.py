"""Customer value: RFM segments, revenue concentration, buy-till-you-die models, checks and CLV.

Each model lives in its own module with the paper's equations referenced in comments; the shared
maximum-likelihood machinery (validation, compression to unique histories, multi-start fitting,
standard errors, :class:`ConvergenceError`) is in ``_fitting``. See docs/value_models.md.

- ``rfm_segments``: ``rfm_scores`` (quintiles 1-5), the named segments,
  ``segment_summary``;
- ``concentration``: ``revenue_concentration`` (top 1/10/20%), ``lorenz_curve``, ``gini``;
- ``clv``: ``customer_lifetime_value`` from a purchase and a spend model;
- ``checks``: a fitted model against held-out purchases as DataFrames, ``HoldoutAccuracy``;

Notebook 03, one job per module:

- ``purchases``: which orders count (``purchase_orders``, ``PurchaseOrders``);
- ``fits``: which models the data supports, fitted (``fit_models``, ``Fits``);
- ``holdout``: the holdout split and check against the rate rule (``holdout_split``,
  ``HoldoutCheck``, ``rate_rule``);
- ``value_table``: one row per customer, model or empirical value (``customer_value_table``,
  ``empirical_value_table``); ``tiers``: value tiers, ``tier_table``, ``top_customers``;
- ``parameters``: the fitted parameters with intervals (``parameter_table``);
- ``analysis``: ``analyse``, everything notebook 03 shows in one call that never stops on valid
  data;
- ``trust`` (``verdict``), ``findings`` (``key_findings`` and the other sentences), ``win_back``
  (``win_back_list``), ``metrics`` (``headline_metrics``): what the page says about it.
"""

from sklearn.exceptions import NotFittedError  # scikit-learn's own (issue 19)

from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.analysis import ValueAnalysis, analyse
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.checks import (
    HoldoutAccuracy,
    holdout_accuracy,
    holdout_by_frequency,
    holdout_predictions,
    period_transactions,
    tracking,
)
from crm_analysis.value.clv import customer_lifetime_value, per_period_rate
from crm_analysis.value.concentration import gini, lorenz_curve, revenue_concentration, top_share
from crm_analysis.value.fallback import FALLBACK_PENALIZERS, fit_with_fallback
from crm_analysis.value.findings import holdout_sentence, key_findings, parameter_sentence
from crm_analysis.value.fits import MIN_CUSTOMERS, MIN_REPEAT_BUYERS, Fits, fit_models
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.holdout import (
    MIN_HOLDOUT_WEEKS,
    HoldoutCheck,
    HoldoutSplit,
    holdout_split,
    rate_rule,
)
from crm_analysis.value.metrics import headline_metrics
from crm_analysis.value.parameters import model_parameters, parameter_table
from crm_analysis.value.pareto_nbd import ParetoNBD
from crm_analysis.value.purchases import PurchaseOrders, purchase_orders
from crm_analysis.value.rfm_segments import (
    SEGMENT_GRID,
    SEGMENTS,
    quintile_scores,
    rfm_scores,
    rfm_segment,
    segment_summary,
)
from crm_analysis.value.tiers import VALUE_TIERS, tier_table, top_customers, value_tiers
from crm_analysis.value.trust import verdict
from crm_analysis.value.value_table import customer_value_table, empirical_value_table
from crm_analysis.value.win_back import WIN_BACK_SEGMENTS, win_back_list

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
    "HoldoutAccuracy",
    "HoldoutCheck",
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
    "holdout_accuracy",
    "holdout_by_frequency",
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
