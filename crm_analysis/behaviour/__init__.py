"""Customer behaviour: cohorts and retention, purchase gaps, channels, service, campaigns, groups.

Public API
----------
- ``prepare(tables, as_of) -> BehaviourData`` and ``analyse(data, ...) -> BehaviourResults``
- cohorts: ``cohort_table``, ``triangle``, ``retention_at``, ``second_purchase_curve``,
  ``interpurchase_times``, ``interpurchase_quantiles``
- channels: ``channel_mix``, ``weekly_profile``, ``return_rates``; discounts: ``discount_use``
  (the order-line scan, on any engine)
- service: ``ticket_volume``, ``response_times``, ``response_summary``, ``satisfaction_counts``,
  ``top_ticket_customers``, ``effect_panel``, ``complaint_effect``, ``implied_dropout_effect``
- campaigns: ``campaign_funnel``, ``ab_tests``, ``window_spend``
- groups: ``customer_features``, ``find_groups``, ``profile_groups``, ``name_groups``
- report: ``key_findings``, ``skipped_notes``, ``correlation_matrix``; charts in ``charts``
"""

from crm_analysis.behaviour import charts
from crm_analysis.behaviour.campaigns import ab_tests, campaign_funnel, window_spend
from crm_analysis.behaviour.channels import channel_mix, return_rates, weekly_profile
from crm_analysis.behaviour.cohorts import (
    cohort_table,
    interpurchase_quantiles,
    interpurchase_times,
    retention_at,
    second_purchase_curve,
    triangle,
)
from crm_analysis.behaviour.discounts import discount_use
from crm_analysis.behaviour.groups import (
    CustomerGroups,
    customer_features,
    find_groups,
    name_groups,
    profile_groups,
)
from crm_analysis.behaviour.prepare import TABLES, BehaviourData, prepare
from crm_analysis.behaviour.report import (
    MEASURES,
    NO_CUSTOMERS,
    BehaviourResults,
    analyse,
    correlation_matrix,
    headline_metrics,
    key_findings,
    output_tables,
    retention_sentence,
    skipped_notes,
)
from crm_analysis.behaviour.service import (
    ComplaintEffect,
    complaint_effect,
    effect_panel,
    implied_dropout_effect,
    response_summary,
    response_times,
    satisfaction_counts,
    ticket_volume,
    top_ticket_customers,
)

__all__ = [
    "MEASURES",
    "NO_CUSTOMERS",
    "TABLES",
    "BehaviourData",
    "BehaviourResults",
    "ComplaintEffect",
    "CustomerGroups",
    "ab_tests",
    "analyse",
    "campaign_funnel",
    "channel_mix",
    "charts",
    "cohort_table",
    "complaint_effect",
    "correlation_matrix",
    "customer_features",
    "discount_use",
    "effect_panel",
    "find_groups",
    "headline_metrics",
    "implied_dropout_effect",
    "interpurchase_quantiles",
    "interpurchase_times",
    "key_findings",
    "name_groups",
    "output_tables",
    "prepare",
    "profile_groups",
    "response_summary",
    "response_times",
    "retention_at",
    "retention_sentence",
    "return_rates",
    "satisfaction_counts",
    "second_purchase_curve",
    "skipped_notes",
    "ticket_volume",
    "top_ticket_customers",
    "triangle",
    "weekly_profile",
    "window_spend",
]
