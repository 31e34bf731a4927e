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
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.churn.backtest import roc_auc
from crm_analysis.synthetic.config import SyntheticConfig
from crm_analysis.synthetic.timegrid import seasonal_profile

__all__ = ["oracle_auc", "oracle_probability"]


def oracle_probability(truth_customers: pd.DataFrame, config: SyntheticConfig, cutoff: object,
                       horizon_days: int) -> pd.Series:
    """True P(no purchase in (cutoff, cutoff + horizon_days] | latent state) per customer.

    Parameters
    ----------
    truth_customers : DataFrame
        The generator's ``truth["customers"]`` (``customer_id``, ``lam`` per day,
        ``first_purchase``, ``dropout_time``).
    config : SyntheticConfig
        The generator's configuration (for the seasonal profile).
    cutoff : date-like
        Cutoff day; the whole day is the past.
    horizon_days : int
        Window length, days.

    Returns
    -------
    Series named ``oracle_p_churn``, indexed by customer id; NaN for customers who had not
    made their first purchase by the cutoff.
    """
    day_end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
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
