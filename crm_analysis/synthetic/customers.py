"""Customers: covariates, latent purchase/dropout/spend parameters (Gaussian copula), table.

Each customer has three independent standard-normal latent scores ``g = (channel, region,
age)``. The covariates are deterministic functions of them (acquisition channel and region by
thresholding at their cumulative shares, age = clip(round(44 + 14 g_age), 18, 90)), and

    z_k = w_k . g + sqrt(1 - |w_k|^2) eps_k,   u_k = Phi(z_k)       (k = lambda, p, nu)

is exactly N(0, 1), so ``lambda = Gamma(r, rate alpha).ppf(u)``, ``p = Beta(a, b).ppf(u)`` and
``nu = Gamma(q, rate gamma).ppf(u)`` keep their exact marginal distributions while depending
on the covariates. With mutually orthogonal loadings (the defaults) the three are independent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from crm_analysis.synthetic.config import (
    ACQUISITION_CHANNELS,
    CATEGORIES,
    COUNTRIES,
    ORDER_CHANNELS,
    REGIONS,
    SyntheticConfig,
)
from crm_analysis.synthetic.ids import categorical_strings, id_series, string_series
from crm_analysis.synthetic.timegrid import MINUTES_PER_DAY, draw_minute_of_day, to_timestamps

ACQUISITION_SHARES = (0.25, 0.20, 0.10, 0.30, 0.15)
REGION_SHARES = (0.25, 0.25, 0.25, 0.25)
COUNTRY_SHARES = (0.70, 0.12, 0.10, 0.08)
GENDERS = ("female", "male", "diverse")
GENDER_SHARES = (0.49, 0.49, 0.02)


@dataclass
class Population:
    """Per-customer arrays (index = customer number - 1)."""

    signup_minute: np.ndarray  # int64, minute of the first purchase since the start
    lam: np.ndarray  # purchases per day
    p: np.ndarray  # dropout probability after each repeat purchase
    nu: np.ndarray  # Gamma-Gamma scale parameter (rate of the order value), 1/currency
    acquisition: np.ndarray  # code into ACQUISITION_CHANNELS
    region: np.ndarray  # code into REGIONS
    age: np.ndarray  # years at the export date (true)
    country: np.ndarray  # code into COUNTRIES
    gender: np.ndarray  # code into GENDERS
    opt_in: np.ndarray  # bool
    main_channel: np.ndarray  # code into ORDER_CHANNELS
    category_cum: np.ndarray  # (n, n_categories) float32 cumulative category preference

    @property
    def n(self) -> int:
        return len(self.lam)


def _threshold(g: np.ndarray, shares: tuple[float, ...]) -> np.ndarray:
    """Category code of a standard-normal score, cut at the cumulative shares."""
    cuts = stats.norm.ppf(np.cumsum(shares)[:-1])
    return np.searchsorted(cuts, g).astype(np.int8)


def _copula_uniform(rng: np.random.Generator, g: np.ndarray, w: tuple[float, ...]) -> np.ndarray:
    w_arr = np.asarray(w, dtype=float)
    eps = rng.standard_normal(len(g))
    z = g @ w_arr + np.sqrt(1.0 - w_arr @ w_arr) * eps
    return stats.norm.cdf(z)


def draw_population(cfg: SyntheticConfig, rng: np.random.Generator) -> Population:
    """Draw every customer's covariates and latent parameters."""
    n = cfg.n_customers
    g = rng.standard_normal((n, 3))
    acquisition = _threshold(g[:, 0], ACQUISITION_SHARES)
    region = _threshold(g[:, 1], REGION_SHARES)
    age = np.clip(np.round(44.0 + 14.0 * g[:, 2]), 18, 90).astype(np.int64)

    lam = stats.gamma.ppf(_copula_uniform(rng, g, cfg.lam_weights), cfg.r, scale=1.0 / cfg.alpha)
    p = stats.beta.ppf(_copula_uniform(rng, g, cfg.p_weights), cfg.a, cfg.b)
    nu = stats.gamma.ppf(
        _copula_uniform(rng, g, cfg.nu_weights), cfg.q, scale=1.0 / cfg.gamma_spend
    )
    # guard the extreme tails of the ppf (u within 1e-16 of 0 or 1)
    lam = np.clip(lam, 1e-12, None)
    p = np.clip(p, 0.0, 1.0)
    nu = np.clip(nu, 1e-9, None)

    # signups: density proportional to exp(growth * t), t in days over the whole period
    growth = cfg.cohort_growth_per_year / 365.0
    u = rng.random(n)
    total = cfg.n_days
    t = u * total if growth == 0 else np.log1p(u * np.expm1(growth * total)) / growth
    signup_day = np.minimum(t.astype(np.int64), total - 1)
    signup_minute = signup_day * MINUTES_PER_DAY + draw_minute_of_day(rng, n)

    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_SHARES).astype(np.int8)
    gender = rng.choice(len(GENDERS), size=n, p=GENDER_SHARES).astype(np.int8)
    opt_in = rng.random(n) < cfg.marketing_opt_in_rate
    main_channel = rng.choice(len(ORDER_CHANNELS), size=n, p=cfg.order_channel_shares).astype(
        np.int8
    )
    pref = rng.dirichlet(np.full(len(CATEGORIES), cfg.category_concentration), size=n)
    category_cum = np.cumsum(pref, axis=1).astype(np.float32)
    category_cum[:, -1] = 1.0
    return Population(
        signup_minute=signup_minute,
        lam=lam,
        p=p,
        nu=nu,
        acquisition=acquisition,
        region=region,
        age=age,
        country=country,
        gender=gender,
        opt_in=opt_in,
        main_channel=main_channel,
        category_cum=category_cum,
    )


def customer_ids(n: int) -> pd.Series:
    """``CU0000001`` .. as nullable strings."""
    return id_series("CU", np.arange(1, n + 1), 7)


def customers_table(cfg: SyntheticConfig, pop: Population) -> pd.DataFrame:
    """The clean ``customers`` table (contract columns and dtypes).

    Personal data is obviously fake and distinct per customer: name ``Testperson 0000123
    Fakename``, e-mail ``cu0000123@example.invalid``, phone ``+00 000 0000123``.
    """
    num = np.arange(1, pop.n + 1)
    signup_day = pop.signup_minute // MINUTES_PER_DAY * MINUTES_PER_DAY
    return pd.DataFrame(
        {
            "customer_id": customer_ids(pop.n),
            "signup_date": to_timestamps(cfg, signup_day),
            "age": pd.array(pop.age, dtype="Int64"),
            "gender": categorical_strings(GENDERS, pop.gender),
            "region": categorical_strings(REGIONS, pop.region),
            "country": categorical_strings(COUNTRIES, pop.country),
            "acquisition_channel": categorical_strings(ACQUISITION_CHANNELS, pop.acquisition),
            "marketing_opt_in": pd.array(pop.opt_in, dtype="boolean"),
            "name": string_series(_join("Testperson ", id_series("", num, 7), " Fakename")),
            "email": _join("cu", id_series("", num, 7), "@example.invalid"),
            "phone": _join("+00 000 ", id_series("", num, 7), ""),
        }
    )


def _join(prefix: str, middle: pd.Series, suffix: str) -> pd.Series:
    return string_series((prefix + middle + suffix).array)
