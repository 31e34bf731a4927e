"""The best AUC reachable on synthetic data: churn scored from the generator's latent state.

The generator (docs/synthetic_data.md) knows, for each customer, her true purchase rate
``lam`` (per day) and when she dropped out (``dropout_time``, the time of her last purchase;
empty while alive). At a cutoff a customer is alive if she dropped out after the cutoff day (or
never); while alive she buys as a Poisson process with rate ``lam * s(d)`` on day d (``s`` is
the weekly x yearly seasonal profile, mean 1), and she cannot drop out before her next purchase.
So the true probability of no purchase in the horizon, given the latent state, is

    P(no purchase in (c, c + h] | state) = 1 - alive + alive * exp(-lam * sum_{d=c+1}^{c+h} s(d))

and its ROC-AUC against the realised labels is what a perfect model of the customer could reach
(the labels still carry the luck of the Poisson draws, cancellations and campaign-caused
orders). A model within a few hundredths of it has little left to learn.

The oracle sees the latent state, which no purchase history reveals. The *history-based*
reference (:func:`history_probability`) sees only what a model could see at the cutoff (each
customer's orders, covariates and complaint tickets) and knows the generator's true parameters
and structure: its posterior probability of no purchase in the horizon
(:mod:`crm_analysis.synthetic.posterior`), the bar a model of the history is held to.
:func:`bayes_probability` is its closed-form special case, the BG/NBD formula with the true
``r, alpha, a, b`` (days): exact when purchases follow BG/NBD and covariates carry nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crm_analysis.churn.metrics import roc_auc
from crm_analysis.synthetic.config import SyntheticConfig
from crm_analysis.synthetic.posterior import no_purchase_probability
from crm_analysis.synthetic.timegrid import seasonal_profile
from crm_analysis.value.beta_geo import BetaGeo

__all__ = ["References", "bayes_probability", "history_probability", "oracle_auc",
           "oracle_probability", "synthetic_references"]


def oracle_probability(truth_customers: pd.DataFrame, config: SyntheticConfig, as_of: object,
                       horizon_days: int) -> pd.Series:
    """True P(no purchase in (as_of, as_of + horizon_days] | latent state) per customer.

    Parameters
    ----------
    truth_customers : DataFrame
        The generator's ``truth["customers"]`` (``customer_id``, ``lam`` per day,
        ``first_purchase``, ``dropout_time``).
    config : SyntheticConfig
        The generator's configuration (for the seasonal profile).
    as_of : date-like
        Cutoff day; the whole day is the past.
    horizon_days : int
        Window length, days.

    Returns
    -------
    Series named ``oracle_p_churn``, indexed by customer id; NaN for customers who had not
    made their first purchase by ``as_of``.
    """
    day_end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    first = pd.to_datetime(truth_customers["first_purchase"])
    dropout = pd.to_datetime(truth_customers["dropout_time"])
    alive = (dropout.isna() | (dropout >= day_end)).to_numpy()
    profile = seasonal_profile(config)
    start = (day_end - config.start_ts).days  # index of the first day after the cutoff
    idx = np.arange(start, start + int(horizon_days))
    inside = (idx >= 0) & (idx < len(profile))
    intensity = float(profile[idx[inside]].sum() + (~inside).sum())  # mean 1 outside the period
    lam = truth_customers["lam"].to_numpy(dtype=float)
    p = np.where(alive, np.exp(-lam * intensity), 1.0)
    p = np.where((first < day_end).to_numpy(), p, np.nan)
    return pd.Series(p, index=pd.Index(truth_customers["customer_id"], name="customer_id"),
                     name="oracle_p_churn")


def oracle_auc(labels: pd.Series, probability: pd.Series) -> float:
    """ROC-AUC of the oracle probability against realised churn labels (aligned by id).

    Parameters
    ----------
    labels : Series of 0/1 or bool, indexed by customer id
    probability : Series, indexed by customer id (from :func:`oracle_probability`)

    Returns
    -------
    float; customers unknown to the truth are left out.
    """
    p = probability.reindex(labels.index)
    ok = p.notna().to_numpy()
    return roc_auc(labels.to_numpy(dtype=float)[ok], p.to_numpy()[ok])


def bayes_probability(orders: pd.DataFrame, config: SyntheticConfig, as_of: object,
                      horizon_days: int) -> pd.Series:
    """P(no purchase in (as_of, as_of + horizon_days] | orders up to ``as_of``), with the
    generator's true BG/NBD parameters (exact on ``SyntheticConfig.exact_bgnbd`` data).

    Parameters
    ----------
    orders : DataFrame
        Orders with ``customer_id`` and ``order_date`` (guests are left out); only those on or
        before the end of the day ``as_of`` are read.
    config : SyntheticConfig
        The generator's configuration: ``r``, ``alpha`` (per day), ``a``, ``b``.
    as_of : date-like
        Cutoff day; the whole day is the past.
    horizon_days : int

    Returns
    -------
    Series named ``bayes_p_churn``, indexed by customer id (customers who bought by ``as_of``).
    """
    day_end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    known = orders[orders["customer_id"].notna()]
    dates = pd.to_datetime(known["order_date"])
    seen = known[(dates < day_end).to_numpy()].assign(order_date=dates[dates < day_end])
    g = seen.groupby("customer_id", observed=True)["order_date"].agg(["min", "max", "size"])
    day = pd.Timedelta(days=1)
    model = BetaGeo()
    model.params_ = {"r": config.r, "alpha": config.alpha, "a": config.a, "b": config.b}
    p = model.probability_no_purchase(float(horizon_days), (g["size"] - 1).to_numpy(float),
                                      ((g["max"] - g["min"]) / day).to_numpy(float),
                                      ((day_end - g["min"]) / day).to_numpy(float))
    return pd.Series(p, index=g.index.rename("customer_id"),
                     name="bayes_p_churn")


def history_probability(orders: pd.DataFrame, customers: pd.DataFrame | None,
                        tickets: pd.DataFrame | None, config: SyntheticConfig, as_of: object,
                        horizon_days: int, *, seed: int = 0) -> pd.Series:
    """P(no purchase in (as_of, as_of + horizon_days] | orders, covariates and complaints up
    to ``as_of``), under the generator's true parameters and structure.

    See :func:`crm_analysis.synthetic.posterior.no_purchase_probability` (same arguments;
    ``seed`` scrambles its quasi-Monte Carlo sample). Returns a Series named
    ``history_p_churn`` indexed by customer id.
    """
    return no_purchase_probability(orders, customers, tickets, config, as_of, horizon_days,
                                   seed=seed)


@dataclass(frozen=True)
class References:
    """ROC-AUC of the two synthetic references on the latest test cutoff: the oracle (latent
    state, a ceiling no history reaches) and the history-based reference (true parameters,
    observable orders)."""

    oracle_auc: float
    bayes_auc: float


def synthetic_references(labels: pd.Series, orders: pd.DataFrame, truth_dir: str | Path,
                         as_of: object, horizon_days: int, *,
                         customers: pd.DataFrame | None = None,
                         tickets: pd.DataFrame | None = None, seed: int = 0
                         ) -> References | None:
    """Both references for the realised labels of a test cutoff, when ``truth_dir`` holds the
    generator's truth (``config.json``, ``customers.parquet``); None for real data.

    ``customers`` and ``tickets`` (the cleaned tables) give the history-based reference the
    covariates and complaints a model can see; without them it uses the orders alone.
    """
    truth = Path(truth_dir)
    if not (truth / "customers.parquet").is_file() or not (truth / "config.json").is_file():
        return None
    config = SyntheticConfig.from_dict(json.loads((truth / "config.json").read_text()))
    oracle = oracle_probability(pd.read_parquet(truth / "customers.parquet"), config, as_of,
                                horizon_days)
    bayes = history_probability(orders, customers, tickets, config, as_of, horizon_days,
                                seed=seed)
    return References(oracle_auc(labels, oracle), oracle_auc(labels, bayes))
