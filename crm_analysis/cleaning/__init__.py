"""Cleaning: raw contract tables -> clean tables plus a data-quality log.

>>> from crm_analysis.cleaning import clean           # doctest: +SKIP
>>> result = clean(load_raw("data/raw", "synthetic"))  # doctest: +SKIP
>>> result.log                                          # doctest: +SKIP
"""

from crm_analysis.cleaning.log import QualityEntry, log_frame
from crm_analysis.cleaning.options import CleaningOptions
from crm_analysis.cleaning.pipeline import CleaningResult, clean
from crm_analysis.cleaning.rules import RULES
from crm_analysis.cleaning.snapshot import infer_snapshot_date
from crm_analysis.cleaning.summary import (
    how_read,
    inventory,
    key_findings,
    log_table,
    monthly_orders,
    rule_chart_data,
)

__all__ = [
    "RULES",
    "CleaningOptions",
    "CleaningResult",
    "QualityEntry",
    "clean",
    "how_read",
    "infer_snapshot_date",
    "inventory",
    "key_findings",
    "log_frame",
    "log_table",
    "monthly_orders",
    "rule_chart_data",
]
