"""Potential: predicted future value against current value, and headroom against look-alikes.

For each customer, over one horizon (``horizon_days``, currency units):

- ``current_value``: what she spent in the last horizon before the snapshot;
- ``predicted_value``: what the chosen model expects her to spend in the next one;
- ``peer_value``: what the upper quartile of her look-alikes spent in the last horizon
  (look-alikes = same RFM segment and same behaviour group; groups smaller than ``min_peers``
  fall back to the whole segment);
- ``headroom`` = max(peer_value - current_value, 0): how far she is below her best peers;
- ``upside`` = max(predicted_value, peer_value) - current_value, floored at 0: the larger of the
  growth the model expects and the gap to her peers.

One-time buyers get no headroom: a single order shows no buying rhythm to hold against
look-alikes (with 97% one-time buyers the "peers" would be a lottery of single orders), so
their upside is the predicted growth alone.

Tiers rank customers by ``upside``: **high potential** (top 20%), **medium potential** (next 30%),
**low potential** (the rest, including everyone with no upside).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BEHAVIOUR_GROUPS", "POTENTIAL_TIERS", "behaviour_group", "potential_scores",
           "potential_summary", "potential_tiers"]

POTENTIAL_TIERS: tuple[str, ...] = ("high potential", "medium potential", "low potential")
BEHAVIOUR_GROUPS: tuple[str, ...] = ("one-time buyer", "repeat, first year",
                                     "repeat, 1-2 years", "repeat, 2+ years")


def behaviour_group(tenure_days: pd.Series, purchase_days: pd.Series) -> pd.Series:
    """Behaviour group from purchase rhythm and tenure: one-time buyers, then repeat buyers by
    years since their first purchase.

    Parameters
    ----------
    tenure_days : Series
        Days since the first purchase.
    purchase_days : Series
        Number of distinct purchase days (aligned with ``tenure_days``).

    Returns
    -------
    Series
        Categorical with categories :data:`BEHAVIOUR_GROUPS`.
    """
    tenure = tenure_days.to_numpy(dtype=float)
    codes = 1 + np.searchsorted([365.0, 730.0], tenure, side="right")
    codes = np.where(purchase_days.to_numpy(dtype=float) <= 1, 0, codes)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(BEHAVIOUR_GROUPS)),
                     index=tenure_days.index, name="behaviour_group")


def potential_tiers(upside: pd.Series, shares: tuple[float, float] = (0.2, 0.5)) -> pd.Series:
    """Tier by upside rank: top ``shares[0]`` high, up to ``shares[1]`` medium, rest low.

    Customers with no upside (0) are always low potential. Ties are broken by order.

    Returns
    -------
    Series
        Categorical with categories :data:`POTENTIAL_TIERS`.
    """
    n = max(len(upside), 1)
    share = upside.rank(method="first", ascending=False).to_numpy() / n
    codes = np.searchsorted(np.asarray(shares), share - 1e-12, side="left")
    codes = np.where(upside.to_numpy(dtype=float) > 0, codes, 2)
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(POTENTIAL_TIERS)),
                     index=upside.index, name="potential_tier")


def potential_scores(
    frame: pd.DataFrame,
    *,
    quantile: float = 0.75,
    min_peers: int = 30,
    segment: str = "segment",
    group: str = "behaviour_group",
) -> pd.DataFrame:
    """Headroom against look-alikes, upside and potential tier.

    Parameters
    ----------
    frame : DataFrame
        One row per customer with ``current_value``, ``predicted_value`` (currency over the
        same horizon), ``segment`` and ``behaviour_group``.
    quantile : float, default 0.75
        Peer benchmark: this quantile of the peers' current value.
    min_peers : int, default 30
        Smaller segment x group cells use the segment's quantile instead.
    segment, group : str
        Column names of the look-alike keys.

    Returns
    -------
    DataFrame
        ``frame`` plus ``growth`` (predicted - current), ``peer_value``, ``headroom`` (0 for
        one-time buyers), ``upside`` and ``potential_tier``.
    """
    missing = [c for c in ("current_value", "predicted_value", segment, group)
               if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks column(s) {missing}")
    keys = [frame[segment].astype("string").fillna("unknown"),
            frame[group].astype("string").fillna("unknown")]
    current = frame["current_value"].astype(float)
    cell = current.groupby(keys, sort=False)
    peer = cell.transform("quantile", quantile)
    small = cell.transform("size") < min_peers
    peer = peer.where(~small, current.groupby(keys[0], sort=False).transform("quantile",
                                                                           quantile))
    predicted = frame["predicted_value"].astype(float)
    benchmark = peer.where(keys[1] != BEHAVIOUR_GROUPS[0], 0.0)  # one-time buyers: no peers
    out = frame.assign(
        growth=predicted - current,
        peer_value=peer,
        headroom=(benchmark - current).clip(lower=0.0),
        upside=(np.maximum(predicted, benchmark) - current).clip(lower=0.0),
    )
    out["potential_tier"] = potential_tiers(out["upside"])
    return out


def potential_summary(scored: pd.DataFrame) -> pd.DataFrame:
    """Customers, current and predicted value, headroom and upside per potential tier.

    Returns
    -------
    DataFrame
        One row per tier (all three, best first): ``potential_tier``, ``customers``,
        ``current_value``, ``predicted_value``, ``headroom``, ``upside`` (sums, currency) and
        ``median_upside``.
    """
    return (scored.groupby("potential_tier", observed=False)
            .agg(customers=("upside", "size"), current_value=("current_value", "sum"),
                 predicted_value=("predicted_value", "sum"), headroom=("headroom", "sum"),
                 upside=("upside", "sum"), median_upside=("upside", "median"))
            .reindex(list(POTENTIAL_TIERS)).reset_index())
