"""Demand: what customers buy, when, what comes next, and what they buy together.

- ``aggregate``: the demand fact table (``demand_lines``), revenue / orders / units per week or
  month by category and product (``aggregate``), growth on the period before and a year before
  (``growth``), ``top_movers``;
- ``daily``: ``DailyDemand``, the per-day reduction every time view reads (``daily_demand``);
- ``scan``: ``DemandScan``, the scans of order lines on the pandas, DuckDB or Spark engine
  (per-day demand, item pairs, group shares);
- ``seasonality``: day-of-week profile, STL decomposition with trend and season strengths;
- ``forecast``: ``HarmonicForecaster`` (local trend + Fourier season + AR(1) errors), MASE;
- ``methods``: the candidate forecasts, simple rules (last week, same week last year, moving
  average) and models (Theta, harmonic);
- ``selection``: rolling-origin ``backtest`` of every candidate, the per-series choice, and the
  ``forecast`` of the chosen methods with ranges calibrated on the backtest;
- ``baskets``: products bought together (support, confidence, lift) from a sparse matrix;
- ``needs``: category preferences by customer group, ticket topics;
- ``analysis``: ``analyse`` runs every view the tables allow (notebook 02);
- ``report``: key findings and tables in words; ``charts``: the report's figures.
"""

from crm_analysis.demand.aggregate import (
    ALL,
    UNKNOWN,
    aggregate,
    demand_lines,
    growth,
    latest_growth,
    period_start,
    to_wide,
    top_movers,
)
from crm_analysis.demand.analysis import TOTAL, DemandAnalysis, analyse, skipped_sections
from crm_analysis.demand.baskets import basket_matrix, item_pairs, pair_table
from crm_analysis.demand.daily import DailyDemand, daily_demand
from crm_analysis.demand.forecast import HarmonicForecaster, baseline_lag, mase, mase_scale
from crm_analysis.demand.methods import METHODS, method_label
from crm_analysis.demand.needs import (
    category_shares,
    share_matrix,
    shares_table,
    ticket_topics,
    tickets_per_orders,
)
from crm_analysis.demand.report import (
    backtest_table,
    forecast_findings,
    forecast_total,
    growth_table,
    headline_check,
    headline_metrics,
    key_findings,
    method_scores,
    movers_table,
    output_tables,
    pairs_table,
    tickets_table,
    verdict,
)
from crm_analysis.demand.scan import DemandScan
from crm_analysis.demand.seasonality import (
    Decomposition,
    decompose,
    strength,
    strength_words,
    weekday_profile,
)
from crm_analysis.demand.selection import Backtest, backtest, forecast

__all__ = [
    "ALL",
    "METHODS",
    "TOTAL",
    "UNKNOWN",
    "Backtest",
    "DailyDemand",
    "Decomposition",
    "DemandAnalysis",
    "DemandScan",
    "HarmonicForecaster",
    "aggregate",
    "analyse",
    "backtest",
    "backtest_table",
    "baseline_lag",
    "basket_matrix",
    "category_shares",
    "daily_demand",
    "decompose",
    "demand_lines",
    "forecast",
    "forecast_findings",
    "forecast_total",
    "growth",
    "growth_table",
    "headline_check",
    "headline_metrics",
    "item_pairs",
    "key_findings",
    "latest_growth",
    "mase",
    "mase_scale",
    "method_label",
    "method_scores",
    "movers_table",
    "output_tables",
    "pair_table",
    "pairs_table",
    "period_start",
    "share_matrix",
    "shares_table",
    "skipped_sections",
    "strength",
    "strength_words",
    "ticket_topics",
    "tickets_per_orders",
    "tickets_table",
    "to_wide",
    "top_movers",
    "verdict",
    "weekday_profile",
]
