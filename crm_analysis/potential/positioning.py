"""The value x potential x churn-risk grid and the action recommended in each cell.

Each axis is cut in two:

- **value** high: current value (spend in the last horizon) in the top ``value_share`` (20%) of
  customers and above 0;
- **potential** high: potential tier "high potential" (:mod:`~crm_analysis.potential.headroom`);
- **risk** high: churn risk >= ``risk_threshold`` (0.5). Risk is the churn model's probability
  (notebook 05) where it scored the customer, else BG/NBD P(no purchase in the horizon).

Actions (:data:`ACTIONS`):

=====  =========  ====  =========  ==============================================================
value  potential  risk  action     why
=====  =========  ====  =========  ==============================================================
high   any        high  retain     much revenue now and likely to leave: protect it first
any    high       low   grow       room to spend more and no sign of leaving: sell more
any    low        low   nurture    spending near her ceiling and staying: keep warm, cheaply
low    high       high  win back   slipping away, but look-alikes spend much more: a targeted
                                   offer may bring her back
low    low        high  let go     little value, little upside, likely gone: no spend
=====  =========  ====  =========  ==============================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ACTIONS", "ACTION_WHY", "TIER_BANDS", "churn_risk", "grid_summary", "position"]

ACTIONS: tuple[str, ...] = ("retain", "grow", "nurture", "win back", "let go")
ACTION_WHY: dict[str, str] = {
    "retain": "high current value and high churn risk: protect this revenue first",
    "grow": "high potential and low churn risk: room to spend more",
    "nurture": "low potential and low churn risk: keep warm at low cost",
    "win back": "low current value, high churn risk, but look-alikes spend much more",
    "let go": "low value, low potential and high churn risk: not worth spending on",
}


TIER_BANDS: dict[str, tuple[float, float]] = {"low": (0.0, 0.4), "medium": (0.4, 0.7),
                                              "high": (0.7, 1.0)}
"""Churn probability band of each risk tier of notebook 05 (its ``TIER_THRESHOLDS``)."""


def churn_risk(
    p_no_purchase: pd.Series, churn_scores: pd.DataFrame | None = None
) -> tuple[pd.Series, str]:
    """Churn risk per customer and where it came from, agreeing with notebook 05.

    Parameters
    ----------
    p_no_purchase : Series
        BG/NBD P(no purchase in the horizon), indexed by customer id: the fallback.
    churn_scores : DataFrame, optional
        ``churn_scores`` of notebook 05 (``customer_id``, ``churn_probability``, ``risk_tier``);
        customers it did not score (inactive for over a year) keep the fallback. Where 05 ranked
        by its simple rule (a tier, no probability), the risk is the BG/NBD probability moved
        into the tier's band (:data:`TIER_BANDS`; the band's middle without BG/NBD), so a
        customer 05 calls high risk is high risk here too.

    Returns
    -------
    (Series, str)
        Risk 0..1 indexed like ``p_no_purchase`` (named ``churn_risk``) and a sentence on its
        source.
    """
    risk = p_no_purchase.astype(float).rename("churn_risk")
    if churn_scores is None or "churn_probability" not in churn_scores.columns:
        return risk, ("churn risk is the BG/NBD probability of no purchase in the horizon "
                      "(no churn scores from notebook 05)")
    scores = churn_scores.drop_duplicates("customer_id").set_index("customer_id")
    model = scores["churn_probability"].astype(float).reindex(risk.index)
    found = risk.index.isin(scores.index)
    values = model.to_numpy(copy=True)
    by_rule = found & np.isnan(values)
    if by_rule.any() and "risk_tier" in scores.columns:
        tier = scores["risk_tier"].astype(str).reindex(risk.index)[by_rule]
        lo = tier.map({k: band[0] for k, band in TIER_BANDS.items()}).fillna(0.0).to_numpy()
        hi = tier.map({k: band[1] for k, band in TIER_BANDS.items()}).fillna(1.0).to_numpy()
        fallback = risk.to_numpy()[by_rule]
        values[by_rule] = np.where(np.isnan(fallback), (lo + hi) / 2, np.clip(fallback, lo, hi))
    values = np.where(found, values, risk.to_numpy())
    source = (f"churn risk is the churn model's probability (notebook 05) for "
              f"{(found & ~by_rule).sum():,} customers"
              + (f", notebook 05's rule tier (with BG/NBD's order inside each tier) for "
                 f"{by_rule.sum():,}" if by_rule.any() else "")
              + f" and BG/NBD P(no purchase) for the {(~found).sum():,} it did not score")
    return pd.Series(values, index=risk.index, name="churn_risk"), source


def position(
    frame: pd.DataFrame,
    *,
    value_share: float = 0.2,
    risk_threshold: float = 0.5,
) -> pd.DataFrame:
    """Place each customer in the grid and recommend an action.

    Parameters
    ----------
    frame : DataFrame
        ``current_value``, ``potential_tier`` and ``churn_risk`` per customer.
    value_share : float, default 0.2
        Share of customers (by current value rank) called high value.
    risk_threshold : float, default 0.5
        Churn risk at or above this is high.

    Returns
    -------
    DataFrame
        ``frame`` plus ``value_level``, ``potential_level``, ``risk_level`` ("high"/"low") and
        ``action`` (categorical, :data:`ACTIONS`).
    """
    current = frame["current_value"].astype(float)
    rank = current.rank(method="first", ascending=False).to_numpy() / max(len(frame), 1)
    value_high = (rank <= value_share) & (current.to_numpy() > 0)
    potential_high = (frame["potential_tier"].astype("string") == "high potential").fillna(
        False).to_numpy(dtype=bool)
    risk_high = frame["churn_risk"].to_numpy(dtype=float) >= risk_threshold
    action = _action_codes(value_high, potential_high, risk_high)
    levels = np.array(["low", "high"])
    return frame.assign(
        value_level=levels[value_high.astype(int)],
        potential_level=levels[potential_high.astype(int)],
        risk_level=levels[risk_high.astype(int)],
        action=pd.Categorical.from_codes(action, categories=list(ACTIONS)),
    )


def grid_summary(positioned: pd.DataFrame) -> pd.DataFrame:
    """Customers and revenue at stake in each of the eight cells.

    Returns
    -------
    DataFrame
        One row per cell (value, potential, risk, all eight, high value first): ``action``,
        ``customers``, ``customer_share``, ``current_value`` (sum, currency, last horizon),
        ``predicted_value`` (sum, next horizon: the revenue at stake), ``value_at_risk``
        (sum of churn risk x CLV of notebook 03, the definition of the churn report; 0 without
        CLVs) and ``upside`` (sum).
    """
    keys = ["value_level", "potential_level", "risk_level"]
    cells = pd.MultiIndex.from_product([["high", "low"]] * 3, names=keys)
    clv = positioned.get("clv", np.nan)
    out = (positioned.assign(value_at_risk=positioned["churn_risk"] * clv)
           .groupby(keys)
           .agg(customers=("current_value", "size"), current_value=("current_value", "sum"),
                predicted_value=("predicted_value", "sum"),
                value_at_risk=("value_at_risk", "sum"), upside=("upside", "sum"))
           .reindex(cells, fill_value=0))
    high = [cells.get_level_values(k).to_numpy() == "high" for k in keys]
    out.insert(0, "action", np.asarray(ACTIONS, dtype=object)[_action_codes(*high)])
    out.insert(2, "customer_share", out["customers"] / max(int(out["customers"].sum()), 1))
    return out.reset_index()


def _action_codes(value_high: np.ndarray, potential_high: np.ndarray,
                  risk_high: np.ndarray) -> np.ndarray:
    """Index into :data:`ACTIONS` of each customer (the table in the module docstring)."""
    return np.select(
        [value_high & risk_high, potential_high & ~risk_high, ~potential_high & ~risk_high,
         potential_high & risk_high], [0, 1, 2, 3], default=4)
