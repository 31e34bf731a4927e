"""Parameters of the synthetic CRM generator, each with its default and unit.

Everything the generator draws is decided by a :class:`SyntheticConfig` (frozen, hashable,
JSON-serialisable through :meth:`SyntheticConfig.to_dict`). The dirt rates live in the nested
:class:`DirtRates`. ``docs/synthetic_data.md`` explains every parameter in context.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from crm_analysis.config import DEFAULT_SEED

CATEGORIES: tuple[str, ...] = (
    "Electronics",
    "Home & Kitchen",
    "Fashion",
    "Beauty",
    "Sports",
    "Toys",
    "Books",
    "Garden",
)
"""Canonical product categories (the clean spelling)."""

CATEGORY_MEDIAN_PRICE: tuple[float, ...] = (80.0, 30.0, 35.0, 15.0, 40.0, 20.0, 12.0, 25.0)
"""Median list price per category, currency units (same order as ``CATEGORIES``)."""

ACQUISITION_CHANNELS: tuple[str, ...] = (
    "paid_search",
    "social",
    "affiliate",
    "organic",
    "referral",
)
"""Acquisition channels, ordered by their latent score (low to high)."""

REGIONS: tuple[str, ...] = ("North", "East", "South", "West")
"""Regions, ordered by their latent score (low to high)."""

COUNTRIES: tuple[str, ...] = ("Germany", "Austria", "Switzerland", "Netherlands")
"""Canonical country spellings."""

ORDER_CHANNELS: tuple[str, ...] = ("web", "app", "store", "phone")
TICKET_TYPES: tuple[str, ...] = ("inquiry", "feedback", "complaint")
TICKET_CHANNELS: tuple[str, ...] = ("email", "phone", "chat", "web")
TICKET_TOPICS: dict[str, tuple[str, ...]] = {
    "inquiry": ("delivery status", "product question", "payment", "account"),
    "feedback": ("product praise", "website", "suggestion"),
    "complaint": ("late delivery", "damaged item", "wrong item", "refund", "billing error"),
}
CAMPAIGN_CHANNELS: tuple[str, ...] = ("email", "sms", "push", "mail")
NON_PRODUCT_IDS: tuple[str, ...] = ("POST", "FEE", "ADJ")
"""Reserved product ids of non-product order lines (postage, fees, manual adjustments)."""


@dataclass(frozen=True)
class DirtRates:
    """Rates of each kind of injected dirt (fractions 0..1 of the stated base).

    Parameters
    ----------
    duplicate_orders
        Share of raw order rows that are exported twice (exact duplicate rows).
    duplicate_order_items
        Share of raw order-item rows that are exported twice.
    guest_orders
        Extra guest orders (empty ``customer_id``) per clean order.
    orphan_cancellations
        Extra cancellation rows (``C`` + an id not in the data) per clean order.
    bad_prices
        Extra order lines with unit price 0 or below per clean order-item line.
    non_product_lines
        Share of clean orders that get one extra POST / FEE / ADJ line.
    category_spelling
        Share of product rows whose category is misspelt (case, whitespace, typo).
    country_spelling
        Share of customer rows whose country is misspelt (case, whitespace, typo, native name).
    mixed_date_formats
        Share of raw order rows whose ``order_date`` uses a non-ISO format.
    impossible_ages
        Share of customer rows whose age is replaced by 0 or 150.
    future_orders
        Extra orders dated after the export date per clean order.
    orphan_items
        Extra order-item lines per clean order-item line whose order (half) or product (half)
        does not exist.
    """

    duplicate_orders: float = 0.01
    duplicate_order_items: float = 0.005
    guest_orders: float = 0.03
    orphan_cancellations: float = 0.002
    bad_prices: float = 0.003
    non_product_lines: float = 0.05
    category_spelling: float = 0.15
    country_spelling: float = 0.05
    mixed_date_formats: float = 0.05
    impossible_ages: float = 0.005
    future_orders: float = 0.002
    orphan_items: float = 0.002

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"DirtRates.{f.name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class SyntheticConfig:
    """All parameters of the synthetic data set; every one has a default.

    Time unit is the day unless a name says otherwise (``_hours``). Money is in one currency
    unit. Weights are loadings of the Gaussian copula on the latent covariate scores
    ``(channel, region, age)``; see ``docs/synthetic_data.md``.

    Parameters
    ----------
    n_customers
        Number of customers (all sign up inside the period and buy on their signup day).
    start, end
        First and last day of the period (ISO dates, inclusive); ``end`` is the export date.
    seed
        Seed of ``numpy.random.default_rng``; same seed gives identical tables.
    dirty
        Inject dirt (see :class:`DirtRates`) into the raw tables.
    cohort_growth_per_year
        Exponential growth rate of signups per year (0: uniform signups).
    r, alpha
        Purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)``, purchases per day.
    a, b
        Dropout probability after each repeat purchase ``p ~ Beta(a, b)``.
    q, gamma_spend, p_spend
        Gamma-Gamma spend: ``nu ~ Gamma(shape=q, rate=gamma_spend)``, order value
        ``z ~ Gamma(shape=p_spend, rate=nu)``; expected order value ``p_spend / nu``.
    lam_weights, p_weights, nu_weights
        Copula loadings of ``lambda``, ``p`` and ``nu`` on the latent scores (channel, region,
        age); each needs Euclidean norm < 1. The defaults are mutually orthogonal, so lambda,
        p and nu stay independent (as BG/NBD and Gamma-Gamma assume).
    seasonality_strength
        Scale of the weekly and yearly (Q4 peak) purchase-rate profile; 0 = homogeneous.
    items_per_order_probs
        Probabilities of 1, 2, 3, 4 lines per order.
    min_line_value
        An order of value z has at most ``max(1, floor(z / min_line_value))`` lines.
    n_products
        Number of products, spread evenly over the 8 categories (32 .. 89,999).
    category_concentration
        Dirichlet concentration of each customer's category preference (small = focused).
    discount_rate, discount_levels
        Share of lines with a discount, and the discount fractions drawn uniformly.
    order_channel_shares, channel_loyalty
        Shares of the customers' main order channel; probability an order uses the main one.
    cancel_rate, return_rate
        Share of orders fully cancelled (within 2 days) / partly returned (after 2-30 days).
    ticket_rate
        Probability that a purchase is followed by a service ticket.
    ticket_type_shares
        Shares of inquiry, feedback, complaint among tickets.
    ticket_open_delay_median_hours, ticket_open_delay_sigma
        Log-normal delay from purchase to ticket opening (median in hours, log-sd).
    first_response_median_hours, first_response_sigma
        Log-normal delay from opening to first response.
    resolution_median_hours, resolution_sigma
        Log-normal delay from opening to resolution.
    unresolved_rate, complaint_unresolved_rate
        Share of tickets never resolved (inquiry/feedback, complaint).
    satisfaction_missing_rate
        Share of tickets without a satisfaction score.
    slow_resolution_hours
        A resolution slower than this (or none) is "slow".
    complaint_dropout_factor
        Factor on the dropout probability at a purchase followed by a complaint (1 = no effect).
    complaint_slow_factor
        Further factor when that complaint is slow or unresolved.
    n_campaigns
        Number of campaigns spread over the period.
    campaign_reach
        Share of the eligible customers each campaign contacts.
    treatment_share
        Share of contacts randomised into treatment.
    attribution_window_days
        A contact converted if the customer orders within this many days after ``sent_at``.
    campaign_recency_days
        Eligible: opted in, signed up before the campaign, last purchase within this many days.
    uplift_base, uplift_app_effect, uplift_age_effect, uplift_max, uplift_scale
        True uplift ``tau = clip(uplift_scale * uplift_base * exp(uplift_app_effect * [main
        channel is app] + uplift_age_effect * (age - 45) / 10), 0, uplift_max)``: the
        probability that a treated contact causes an extra order in the window.
    open_rates, click_rate
        Open probability per campaign channel (email, sms, push, mail) for treatment contacts,
        and the probability of a click given an open.
    marketing_opt_in_rate
        Share of customers opted in to marketing.
    dirt
        The dirt rates (:class:`DirtRates`), used when ``dirty``.
    """

    n_customers: int = 20_000
    start: str = "2023-01-01"
    end: str = "2025-12-31"
    seed: int = DEFAULT_SEED
    dirty: bool = True
    cohort_growth_per_year: float = 0.3
    r: float = 0.9
    alpha: float = 30.0
    a: float = 0.9
    b: float = 6.0
    q: float = 3.5
    gamma_spend: float = 25.0
    p_spend: float = 6.0
    lam_weights: tuple[float, float, float] = (0.4, 0.2, -0.3)
    p_weights: tuple[float, float, float] = (-0.3, 0.3, -0.2)
    nu_weights: tuple[float, float, float] = (0.05, 0.17, 0.18)
    seasonality_strength: float = 1.0
    items_per_order_probs: tuple[float, float, float, float] = (0.15, 0.3, 0.3, 0.25)
    min_line_value: float = 6.0
    n_products: int = 300
    category_concentration: float = 0.5
    discount_rate: float = 0.15
    discount_levels: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
    order_channel_shares: tuple[float, float, float, float] = (0.45, 0.30, 0.15, 0.10)
    channel_loyalty: float = 0.8
    cancel_rate: float = 0.03
    return_rate: float = 0.06
    ticket_rate: float = 0.10
    ticket_type_shares: tuple[float, float, float] = (0.5, 0.2, 0.3)
    ticket_open_delay_median_hours: float = 24.0
    ticket_open_delay_sigma: float = 1.0
    first_response_median_hours: float = 4.0
    first_response_sigma: float = 1.0
    resolution_median_hours: float = 30.0
    resolution_sigma: float = 1.0
    unresolved_rate: float = 0.05
    complaint_unresolved_rate: float = 0.15
    satisfaction_missing_rate: float = 0.6
    slow_resolution_hours: float = 72.0
    complaint_dropout_factor: float = 2.0
    complaint_slow_factor: float = 1.5
    n_campaigns: int = 10
    campaign_reach: float = 0.3
    treatment_share: float = 0.8
    attribution_window_days: int = 14
    campaign_recency_days: int = 365
    uplift_base: float = 0.04
    uplift_app_effect: float = 0.7
    uplift_age_effect: float = -0.3
    uplift_max: float = 0.5
    uplift_scale: float = 1.0
    open_rates: tuple[float, float, float, float] = (0.35, 0.9, 0.25, 0.0)
    click_rate: float = 0.15
    marketing_opt_in_rate: float = 0.6
    dirt: DirtRates = field(default_factory=DirtRates)

    def __post_init__(self) -> None:
        if self.n_campaigns < 0:
            raise ValueError(f"n_campaigns must be >= 0, got {self.n_campaigns}")
        if self.n_customers < 1:
            raise ValueError(f"n_customers must be >= 1, got {self.n_customers}")
        if self.start_ts >= self.end_ts:
            raise ValueError(f"start {self.start!r} must be before end {self.end!r}")
        for name in ("r", "alpha", "a", "b", "q", "gamma_spend", "p_spend"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("lam_weights", "p_weights", "nu_weights"):
            w = getattr(self, name)
            if len(w) != 3 or math.hypot(*w) >= 1.0:
                raise ValueError(f"{name} needs 3 loadings with norm < 1, got {w!r}")
        for name in ("complaint_dropout_factor", "complaint_slow_factor"):
            if getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("items_per_order_probs", "order_channel_shares", "ticket_type_shares"):
            if abs(sum(getattr(self, name)) - 1.0) > 1e-9:
                raise ValueError(f"{name} must sum to 1, got {getattr(self, name)!r}")
        if not 4 * len(CATEGORIES) <= self.n_products < 90_000:
            raise ValueError(f"n_products must be in [{4 * len(CATEGORIES)}, 90000)")
        if self.seasonality_strength < 0 or self.seasonality_strength > 1.5:
            raise ValueError("seasonality_strength must be in [0, 1.5]")

    @property
    def start_ts(self) -> pd.Timestamp:
        """First day of the period, midnight."""
        return pd.Timestamp(self.start).normalize()

    @property
    def end_ts(self) -> pd.Timestamp:
        """The export date (last day of the period), midnight."""
        return pd.Timestamp(self.end).normalize()

    @property
    def n_days(self) -> int:
        """Length of the period in days, both ends included."""
        return int((self.end_ts - self.start_ts).days) + 1

    @classmethod
    def exact_bgnbd(cls, **overrides: Any) -> SyntheticConfig:
        """A config whose purchases follow BG/NBD exactly (for model-recovery tests).

        Turns off the complaint effect on dropout, seasonality and campaign-caused orders;
        ``overrides`` are applied on top.
        """
        settings: dict[str, Any] = {
            "complaint_dropout_factor": 1.0,
            "complaint_slow_factor": 1.0,
            "seasonality_strength": 0.0,
            "uplift_scale": 0.0,
        }
        settings.update(overrides)
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dictionary (nested ``dirt``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SyntheticConfig:
        """Inverse of :meth:`to_dict` (lists become tuples)."""
        values = dict(values)
        dirt = DirtRates(**values.pop("dirt", {}))
        fixed = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(dirt=dirt, **fixed)
