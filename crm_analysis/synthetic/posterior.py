"""The generator's own answer to "will she buy again?", given only what is observable.

For a customer seen up to a cutoff, the generator's true parameters and its structure give the
posterior of her latent purchase rate ``lam`` and dropout probability ``p`` from what a model
could see at the cutoff: her covariates (acquisition channel, region, age; the copula of
:mod:`crm_analysis.synthetic.customers`), her orders (in the generator's *operational time*,
which removes the weekly, yearly and daytime seasonality) and the complaint tickets that
followed them (each raises the dropout probability after that purchase). The probability of no
purchase in the horizon is then

    P(none | history) = E[ L_dead + L_alive * exp(-lam * I_h) ] / E[ L_dead + L_alive ]

over the prior of ``(lam, p)`` given the covariates, where, for ``x`` repeat purchases at
operational times ``t_1..t_x`` after the first at ``t_0`` and a cutoff at ``T``,

    L_alive = lam^x exp(-lam (T - t_0)) prod_{j=1..x} (1 - min(p f_j, 1))
    L_dead  = lam^x exp(-lam (t_x - t_0)) prod_{j=1..x-1} (1 - min(p f_j, 1)) min(p f_x, 1)

(``f_j`` is the complaint factor of purchase j; ``I_h`` the seasonal intensity of the horizon).
The expectation is a quasi-Monte Carlo average over a scrambled Sobol sample of the latent
normal scores, each truncated to the interval the customer's covariates reveal.

What it leaves out, so it is a close reference rather than the exact Bayes rule: campaign-caused
orders count as ordinary purchases, a complaint still open at the cutoff counts as slow, and
cancelled orders count as purchases (the latent purchase happened).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import logsumexp

from crm_analysis.synthetic.config import ACQUISITION_CHANNELS, REGIONS, SyntheticConfig
from crm_analysis.synthetic.customers import ACQUISITION_SHARES, REGION_SHARES
from crm_analysis.synthetic.timegrid import (
    MINUTES_PER_DAY,
    cumulative_intensity,
    fraction_of_day_at,
    seasonal_profile,
)

__all__ = ["no_purchase_probability"]

_Z = np.linspace(-9.0, 9.0, 18_001)
"""Grid of latent normal scores on which the marginal quantile functions are tabulated."""


def _marginal_on_grid(dist: stats.rv_continuous, *args: float) -> np.ndarray:
    """``dist.ppf(Phi(z))`` on :data:`_Z`, exact in both tails (``isf`` above the median)."""
    low = _Z < 0
    out = np.empty_like(_Z)
    out[low] = dist.ppf(stats.norm.cdf(_Z[low]), *args)
    out[~low] = dist.isf(stats.norm.sf(_Z[~low]), *args)
    return out


def _score_bounds(customers: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Interval of each latent score (channel, region, age) that the covariates reveal, as
    normal probabilities ``(lo, hi)`` of shape (n, 3); a missing covariate reveals nothing."""
    lo = np.zeros((n, 3))
    hi = np.ones((n, 3))
    for k, (column, levels, shares) in enumerate(
            (("acquisition_channel", ACQUISITION_CHANNELS, ACQUISITION_SHARES),
             ("region", REGIONS, REGION_SHARES))):
        if column not in customers.columns:
            continue
        cuts = np.concatenate([[0.0], np.cumsum(shares)[:-1], [1.0]])
        code = pd.Categorical(customers[column].astype(object), categories=levels).codes
        known = code >= 0
        lo[known, k] = cuts[code[known]]
        hi[known, k] = cuts[code[known] + 1]
    if "age" in customers.columns:  # age = clip(round(44 + 14 g), 18, 90)
        age = pd.to_numeric(customers["age"], errors="coerce").to_numpy(float)
        known = np.isfinite(age)
        a = age[known]
        lo[known, 2] = np.where(a <= 18, 0.0, stats.norm.cdf((a - 0.5 - 44.0) / 14.0))
        hi[known, 2] = np.where(a >= 90, 1.0, stats.norm.cdf((a + 0.5 - 44.0) / 14.0))
    return lo, hi


def _operational_time(when: pd.Series, config: SyntheticConfig, cum: np.ndarray,
                      profile: np.ndarray) -> np.ndarray:
    """Operational time (days of mean intensity since the start) of timestamps in the period."""
    minutes = ((when - config.start_ts) // pd.Timedelta(minutes=1)).to_numpy(np.int64)
    day = np.clip(minutes // MINUTES_PER_DAY, 0, config.n_days - 1)
    return cum[day] + profile[day] * fraction_of_day_at(minutes % MINUTES_PER_DAY)


def _histories(orders: pd.DataFrame, tickets: pd.DataFrame | None, config: SyntheticConfig,
               day_end: pd.Timestamp, cum: np.ndarray, profile: np.ndarray) -> pd.DataFrame:
    """Per customer seen by the cutoff: ``x``, ``t0``, ``tx`` (operational days), the counts of
    earlier repeat purchases by complaint class (``n0``..``n2``: none, complaint, slow
    complaint) and the class of the last purchase (``last``)."""
    log = orders.loc[orders["customer_id"].notna(), ["customer_id", "order_date"]]
    log = log.assign(order_date=pd.to_datetime(log["order_date"]))
    log = log[log["order_date"] < day_end].sort_values(["customer_id", "order_date"],
                                                        kind="stable")
    log = log.assign(customer_id=log["customer_id"].astype(str))
    log["j"] = log.groupby("customer_id", sort=False).cumcount()
    log["cls"] = 0
    if tickets is not None and len(tickets):
        t = tickets[(tickets["type"].astype(object) == "complaint")
                    & tickets["customer_id"].notna()
                    & (pd.to_datetime(tickets["opened_at"]) < day_end)]
        opened = pd.to_datetime(t["opened_at"])
        resolved = pd.to_datetime(t["resolved_at"])
        hours = (resolved - opened) / pd.Timedelta(hours=1)
        done = resolved.notna() & (resolved < day_end)  # open at the cutoff counts as slow
        slow = ~done | (hours > config.slow_resolution_hours)
        t = pd.DataFrame({"customer_id": t["customer_id"].astype(str).to_numpy(),
                          "opened_at": opened.to_numpy(),
                          "cls": np.where(slow.to_numpy(), 2, 1)}).sort_values("opened_at")
        # each complaint belongs to the customer's last order before it was opened
        hit = pd.merge_asof(t, log[["customer_id", "order_date", "j"]].sort_values("order_date"),
                            left_on="opened_at", right_on="order_date", by="customer_id",
                            direction="backward").dropna(subset=["j"])
        worst = hit.groupby(["customer_id", "j"])["cls"].max()
        key = pd.MultiIndex.from_frame(log[["customer_id", "j"]].astype({"j": float}))
        log["cls"] = worst.reindex(key).fillna(0).to_numpy(int)
    log["op"] = _operational_time(log["order_date"], config, cum, profile)
    g = log.groupby("customer_id", sort=True)
    out = pd.DataFrame({"x": g.size() - 1, "t0": g["op"].min(), "tx": g["op"].max(),
                        "last": g["cls"].last()})
    repeat = log[(log["j"] > 0) & (log["j"] < log.groupby("customer_id")["j"].transform("max"))]
    counts = pd.crosstab(repeat["customer_id"], repeat["cls"]).reindex(
        index=out.index, columns=[0, 1, 2], fill_value=0).fillna(0)
    for c in range(3):
        out[f"n{c}"] = counts[c].to_numpy(float)
    return out


def no_purchase_probability(orders: pd.DataFrame, customers: pd.DataFrame | None,
                            tickets: pd.DataFrame | None, config: SyntheticConfig,
                            cutoff: object, horizon_days: int, *, n_draws: int = 1024,
                            seed: int = 0, chunk: int = 1_000) -> pd.Series:
    """P(no purchase in (cutoff, cutoff + horizon_days] | what is observable at the cutoff).

    Parameters
    ----------
    orders : DataFrame
        Orders with ``customer_id`` and ``order_date`` (guests are left out); only those
        before the end of the cutoff day are read.
    customers : DataFrame or None
        ``customer_id`` with ``acquisition_channel``, ``region`` and ``age`` (any may be
        missing); None uses no covariates.
    tickets : DataFrame or None
        Service tickets (``customer_id``, ``type``, ``opened_at``, ``resolved_at``); only
        complaints opened by the cutoff are read.
    config : SyntheticConfig
        The generator's configuration (true parameters, seasonality, complaint factors).
    cutoff : date-like
        Cutoff day; the whole day is the past.
    horizon_days : int
        Window length, days.
    n_draws, seed, chunk
        Quasi-Monte Carlo draws per customer (a power of two), the scrambling seed, and the
        customers handled at once (memory: about ``chunk * n_draws * 80`` bytes).

    Returns
    -------
    Series named ``history_p_churn``, indexed by customer id (customers who bought by the
    cutoff).
    """
    profile = seasonal_profile(config)
    cum = cumulative_intensity(profile)
    day_end = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    end_day = (day_end - config.start_ts).days
    horizon = np.arange(end_day, end_day + int(horizon_days))
    inside = (horizon >= 0) & (horizon < config.n_days)
    intensity = float(profile[horizon[inside]].sum() + (~inside).sum())
    cutoff_op = float(cum[min(max(end_day, 0), config.n_days)] + max(end_day - config.n_days, 0))

    hist = _histories(orders, tickets, config, day_end, cum, profile)
    n = len(hist)
    if customers is not None and len(customers):
        cov = customers.assign(customer_id=customers["customer_id"].astype(str))
        cov = cov.drop_duplicates("customer_id").set_index("customer_id").reindex(hist.index)
    else:
        cov = pd.DataFrame(index=hist.index)
    lo, hi = _score_bounds(cov, n)

    u = stats.qmc.Sobol(d=5, scramble=True, seed=seed).random(n_draws)
    eps = stats.norm.ppf(u[:, 3:])
    log_lam_grid = np.log(np.clip(_marginal_on_grid(stats.gamma, config.r, 0.0,
                                                    1.0 / config.alpha), 1e-12, None))
    p_grid = np.clip(_marginal_on_grid(stats.beta, config.a, config.b), 0.0, 1.0)
    w_lam, w_p = np.asarray(config.lam_weights), np.asarray(config.p_weights)
    factors = np.array([1.0, config.complaint_dropout_factor,
                        config.complaint_dropout_factor * config.complaint_slow_factor])

    x = hist["x"].to_numpy(float)
    since_first = cutoff_op - hist["t0"].to_numpy()
    to_last = (hist["tx"] - hist["t0"]).to_numpy()
    counts = hist[["n0", "n1", "n2"]].to_numpy()
    last = hist["last"].to_numpy(int)
    out = np.empty(n)
    for start in range(0, n, chunk):  # blocks of customers, vectorised within
        s = slice(start, start + chunk)
        g = stats.norm.ppf(np.clip(lo[s, None, :] + (hi[s, None, :] - lo[s, None, :])
                                   * u[None, :, :3], 1e-16, 1 - 1e-16))
        z_lam = g @ w_lam + np.sqrt(1.0 - w_lam @ w_lam) * eps[None, :, 0]
        z_p = g @ w_p + np.sqrt(1.0 - w_p @ w_p) * eps[None, :, 1]
        log_lam = np.interp(z_lam, _Z, log_lam_grid)
        lam = np.exp(log_lam)
        p = np.interp(z_p, _Z, p_grid)
        with np.errstate(divide="ignore"):
            # (c, m, 3); a certain dropout is a finite floor, so that 0 such purchases * it = 0
            log_stay = np.maximum(np.log1p(-np.minimum(p[..., None] * factors, 1.0)), -1e6)
            log_drop = np.log(np.minimum(p[..., None] * factors, 1.0))
        xs = x[s, None]
        before_last = np.einsum("cmk,ck->cm", log_stay, counts[s])
        idx = last[s][:, None, None]
        stay_last = np.take_along_axis(log_stay, np.broadcast_to(idx, (*lam.shape, 1)),
                                       axis=2)[..., 0]
        drop_last = np.take_along_axis(log_drop, np.broadcast_to(idx, (*lam.shape, 1)),
                                       axis=2)[..., 0]
        rate = xs * log_lam
        alive = rate - lam * since_first[s, None] + before_last + np.where(xs > 0, stay_last, 0)
        dead = np.where(xs > 0, rate - lam * to_last[s, None] + before_last + drop_last, -np.inf)
        none = logsumexp(np.stack([dead, alive - lam * intensity]), axis=(0, 2))
        total = logsumexp(np.stack([dead, alive]), axis=(0, 2))
        out[s] = np.exp(none - total)
    return pd.Series(out, index=hist.index.rename("customer_id"), name="history_p_churn")
