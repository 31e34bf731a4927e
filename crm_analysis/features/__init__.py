"""Customer-level features computed from the transaction log as of a day, ``as_of`` (no look-ahead).

This is the only room that scans transactions; the analysis modules work on its summaries.
"""

from crm_analysis.features.activity import channel_shares, customer_rfm, daily_repeat_purchases
from crm_analysis.features.days import CustomerDays, customer_days
from crm_analysis.features.rfm import calibration_holdout, rfm_summary

__all__ = [
    "CustomerDays",
    "calibration_holdout",
    "channel_shares",
    "customer_days",
    "customer_rfm",
    "daily_repeat_purchases",
    "rfm_summary",
]
