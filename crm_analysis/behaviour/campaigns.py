"""Campaign funnels and treatment-against-control tests.

Contacts are randomised into treatment and control (``group``); the difference in conversion
between them is the campaign's causal uplift. Spend is what the contact's customer ordered in
the attribution window ``[sent_at, sent_at + window]`` (the campaign's ``end_date -
start_date`` when a campaigns table gives it, else ``window_days``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from crm_analysis.limits import NotEnoughData
from crm_analysis.stats import compare_means, compare_proportions, power_two_proportions, wilson_ci

__all__ = ["ab_tests", "campaign_funnel", "window_spend"]

STAGES = ("sent", "opened", "clicked", "converted")


def campaign_funnel(contacts: pd.DataFrame, campaigns: pd.DataFrame | None = None, *,
                    ci: float = 0.95) -> pd.DataFrame:
    """Sent, opened, clicked and converted per campaign (treatment contacts only).

    Parameters
    ----------
    contacts : DataFrame
        The campaign contacts table.
    campaigns : DataFrame, optional
        The campaigns table: its ``name`` labels each campaign (else its id does).
    ci : float
        Level of the Wilson intervals.

    Returns
    -------
    DataFrame
        Long table: ``campaign_id``, ``name``, ``stage``, ``contacts`` (count at the stage),
        ``rate`` (share of sent, 0..1) with Wilson ``rate_lo``/``rate_hi``.

    Raises
    ------
    NotEnoughData
        No contact is in a treatment group.
    """
    treated = contacts[contacts["group"].astype("string").str.lower().eq("treatment")
                       .fillna(False).to_numpy(bool)]
    if treated.empty:
        raise NotEnoughData("the campaign contacts have no treatment group, so there is no "
                            "funnel and no test")
    flags = {s: treated[s].fillna(False).astype(bool) for s in STAGES[1:] if s in treated}
    frame = pd.DataFrame({"campaign_id": treated["campaign_id"].to_numpy(), "sent": True,
                          **{k: v.to_numpy(bool) for k, v in flags.items()}})
    wide = frame.groupby("campaign_id").sum()
    long = wide.reset_index().melt(id_vars="campaign_id", var_name="stage",
                                   value_name="contacts")
    sent = long["campaign_id"].map(wide["sent"])
    long["rate"] = long["contacts"] / sent
    long["rate_lo"], long["rate_hi"] = wilson_ci(long["contacts"], sent, ci=ci)
    long["stage"] = pd.Categorical(long["stage"], categories=STAGES, ordered=True)
    names = (campaigns.drop_duplicates("campaign_id").set_index("campaign_id")["name"]
             if campaigns is not None and "name" in campaigns else pd.Series(dtype="string"))
    ids = long["campaign_id"].astype("string")
    long.insert(1, "name", ids.map(names.astype("string")).astype("string").fillna(ids))
    return long.sort_values(["campaign_id", "stage"], ignore_index=True)


def window_spend(contacts: pd.DataFrame, purchases: pd.DataFrame,
                 window_days: pd.Series | float = 14.0) -> np.ndarray:
    """Spend (currency) of each contact's customer in ``[sent_at, sent_at + window]``.

    Parameters
    ----------
    contacts : DataFrame
        ``customer_id``, ``sent_at``; row order is kept.
    purchases : DataFrame
        ``customer_id``, ``order_date``, ``amount``.
    window_days : float or Series aligned with ``contacts``
        Attribution window per contact, days.

    Returns
    -------
    ndarray
        Spend per contact (0 when none; NaN for every contact when the purchases carry no
        ``amount``, a log of visits or bookings).
    """
    if "amount" not in purchases:
        return np.full(len(contacts), np.nan)
    codes, ids = pd.factorize(purchases["customer_id"], sort=True)
    t = purchases["order_date"].to_numpy().astype("datetime64[s]").astype(np.int64)
    order = np.lexsort((t, codes))
    codes, t = codes[order], t[order]
    amount = purchases["amount"].to_numpy(float)[order]
    cum = np.concatenate(([0.0], np.cumsum(amount)))
    span = int(t.max() - t.min() + 10**9) if len(t) else 1
    t0 = int(t.min()) if len(t) else 0
    key = codes.astype(np.int64) * span + (t - t0)
    c = ids.get_indexer(contacts["customer_id"])
    s = contacts["sent_at"].to_numpy().astype("datetime64[s]").astype(np.int64) - t0
    w = (np.asarray(window_days, float) * 86400).astype(np.int64)
    s = np.clip(s, -span // 4, span // 2)
    lo = np.searchsorted(key, c * span + s, "left")
    hi = np.searchsorted(key, c * span + np.minimum(s + w, span - 1), "right")
    return np.where(c >= 0, cum[hi] - cum[lo], 0.0)


def _window(contacts: pd.DataFrame, campaigns: pd.DataFrame | None,
            default: float) -> pd.Series:
    if campaigns is None or not {"start_date", "end_date"} <= set(campaigns.columns):
        return pd.Series(default, index=contacts.index)
    days = ((campaigns["end_date"] - campaigns["start_date"]).dt.total_seconds() / 86400)
    lookup = pd.Series(days.to_numpy(), index=campaigns["campaign_id"])
    return contacts["campaign_id"].map(lookup).astype(float).fillna(default)


def ab_tests(
    contacts: pd.DataFrame,
    purchases: pd.DataFrame,
    campaigns: pd.DataFrame | None = None,
    *,
    window_days: float = 14.0,
    ci: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Treatment against control per campaign and pooled over campaigns.

    Parameters
    ----------
    contacts : DataFrame
        ``campaign_id``, ``customer_id``, ``sent_at``, ``group``, ``converted``.
    purchases : DataFrame
        Purchases of known customers (for spend in the window).
    campaigns : DataFrame, optional
        ``campaign_id``, ``start_date``, ``end_date`` (window), ``cost_per_contact``, ``name``.
    window_days : float
        Attribution window when ``campaigns`` does not give one, days.
    ci, alpha : float
        Confidence level; test level for the power.

    Returns
    -------
    DataFrame
        One row per campaign plus a last row ``campaign_id = "pooled"``: ``name``,
        ``n_treatment``, ``n_control``, ``conversion_treatment``, ``conversion_control``,
        ``uplift`` (difference in conversion, 0..1) with ``uplift_lo``/``uplift_hi``,
        ``uplift_p``, ``power`` (at the observed rates and sizes), ``incremental_conversions``,
        ``cost`` (currency), ``cost_per_incremental_conversion`` (NaN when the uplift is not
        positive), ``spend_treatment``/``spend_control`` (mean spend per contact in the window,
        currency), ``spend_uplift`` with ``spend_uplift_lo``/``_hi`` (Welch) and
        ``spend_uplift_p``. The pooled row combines campaigns with Mantel-Haenszel weights
        ``n_t n_c / (n_t + n_c)`` (a stratified difference: campaigns are compared within
        themselves).

    Raises
    ------
    NotEnoughData
        No campaign has both treatment and control contacts.
    """
    group = contacts["group"].astype("string").str.lower()
    frame = pd.DataFrame({
        "campaign_id": contacts["campaign_id"].to_numpy(),
        "treated": group.eq("treatment").fillna(False).to_numpy(bool),
        "converted": contacts["converted"].fillna(False).astype(bool).to_numpy(),
        "spend": window_spend(contacts, purchases, _window(contacts, campaigns, window_days)),
    })
    frame = frame[group.isin(["treatment", "control"]).to_numpy(bool)]
    info = (campaigns.set_index("campaign_id") if campaigns is not None
            else pd.DataFrame(index=pd.Index([], name="campaign_id")))
    rows = []
    for cid, part in frame.groupby("campaign_id", sort=True):  # a few campaigns
        t, c = part[part["treated"]], part[~part["treated"]]
        prop = compare_proportions(t["converted"].sum(), len(t), c["converted"].sum(), len(c),
                                   ci=ci, alpha=alpha)
        spend = compare_means(t["spend"], c["spend"], ci=ci)
        cpc = info["cost_per_contact"].get(cid, np.nan) if "cost_per_contact" in info else np.nan
        rows.append({"campaign_id": cid,
                     "name": info["name"].get(cid, cid) if "name" in info else cid,
                     "n_treatment": len(t), "n_control": len(c),
                     "conversion_treatment": prop.rate_a, "conversion_control": prop.rate_b,
                     "uplift": prop.difference, "uplift_lo": prop.difference_lo,
                     "uplift_hi": prop.difference_hi, "uplift_p": prop.p_value,
                     "power": prop.power, "cost": cpc * len(t),
                     "spend_treatment": spend.estimate_a, "spend_control": spend.estimate_b,
                     "spend_uplift": spend.effect, "spend_uplift_lo": spend.ci_lo,
                     "spend_uplift_hi": spend.ci_hi, "spend_uplift_p": spend.p_value})
    out = pd.DataFrame(rows)
    if out.empty or not ((out["n_treatment"] > 0) & (out["n_control"] > 0)).any():
        raise NotEnoughData("no campaign has contacts in both a treatment and a control group, "
                            "so no campaign can be tested")
    out = pd.concat([out, _pooled(out, ci, alpha)], ignore_index=True)
    out["incremental_conversions"] = out["uplift"] * out["n_treatment"]
    out["cost_per_incremental_conversion"] = (out["cost"] / out["incremental_conversions"]
                                              ).where(out["uplift"] > 0)
    return out


def _pooled(per: pd.DataFrame, ci: float, alpha: float) -> pd.DataFrame:
    """Mantel-Haenszel risk difference (and spend difference) over campaigns."""
    nt, nc = per["n_treatment"].to_numpy(float), per["n_control"].to_numpy(float)
    ok = (nt > 0) & (nc > 0)
    w = np.where(ok, nt * nc / np.maximum(nt + nc, 1), 0.0)
    z = sps.norm.ppf(0.5 + ci / 2)
    row = {"campaign_id": "pooled", "name": "all campaigns (pooled)",
           "n_treatment": int(nt.sum()), "n_control": int(nc.sum()),
           "cost": per["cost"].sum(min_count=1)}
    pt, pc = per["conversion_treatment"].to_numpy(), per["conversion_control"].to_numpy()
    d = np.nansum(w * (pt - pc)) / w.sum()
    var = np.nansum(w**2 * (pt * (1 - pt) / np.maximum(nt, 1) + pc * (1 - pc)
                            / np.maximum(nc, 1))) / w.sum() ** 2
    se = np.sqrt(var)
    rate_t, rate_c = np.nansum(w * pt) / w.sum(), np.nansum(w * pc) / w.sum()
    row.update(conversion_treatment=rate_t, conversion_control=rate_c, uplift=d,
               uplift_lo=d - z * se, uplift_hi=d + z * se,
               uplift_p=float(2 * sps.norm.sf(abs(d) / se)) if se > 0 else np.nan,
               power=float(power_two_proportions(rate_t, rate_c, nt.sum(), nc.sum(),
                                                 alpha=alpha)))
    st, sc = per["spend_treatment"].to_numpy(), per["spend_control"].to_numpy()
    sd = np.nansum(w * (st - sc)) / w.sum()
    # standard error from the per-campaign Welch intervals
    se_c = (per["spend_uplift_hi"] - per["spend_uplift_lo"]).to_numpy() / (2 * z)
    s_se = np.sqrt(np.nansum(w**2 * se_c**2)) / w.sum()
    row.update(spend_treatment=np.nansum(w * st) / w.sum(), spend_control=np.nansum(w * sc)
               / w.sum(), spend_uplift=sd, spend_uplift_lo=sd - z * s_se,
               spend_uplift_hi=sd + z * s_se,
               spend_uplift_p=float(2 * sps.norm.sf(abs(sd) / s_se)) if s_se > 0 else np.nan)
    return pd.DataFrame([row])
