"""Customer groups: k-means on log-scaled RFM and behaviour features, named in plain words.

Features come from :func:`crm_analysis.features.rfm_summary` at the snapshot plus tenure, the
mean gap between purchases and, when present, ticket counts. k is chosen by the silhouette on a
sample (k = 2..max_clusters); stability is the adjusted Rand index between runs with different
seeds. Each group is profiled in plain units (median spend, orders, days since the last order)
and named by rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.preprocessing import StandardScaler

from crm_analysis.features import rfm_summary
from crm_analysis.limits import NotEnoughData

__all__ = ["CustomerGroups", "customer_features", "find_groups", "name_groups",
           "profile_groups"]

CLUSTER_FEATURES = ("orders", "total_spend", "days_since_last", "tenure_days",
                    "mean_gap_days", "tickets")


def customer_features(purchases: pd.DataFrame, as_of: object,
                      tickets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Behaviour of each customer at ``as_of``, in plain units.

    Returns
    -------
    DataFrame
        Index ``customer_id``. ``orders`` (purchase days), ``total_spend`` (currency),
        ``average_order_value`` (currency per purchase day), ``days_since_last``,
        ``tenure_days`` (since the first purchase), ``mean_gap_days`` (mean days between
        purchase days; tenure for one-timers, i.e. "at least that long"), and ``tickets`` /
        ``complaints`` (0 when no tickets table). Channel shares ``share_<channel>`` when orders
        have a channel. Purchases without ``amount`` (a log of visits or bookings) have no
        ``total_spend`` and ``average_order_value``.
    """
    money = "amount" in purchases
    rfm = rfm_summary(purchases, as_of=as_of, monetary_col="amount" if money else None)
    out = pd.DataFrame(index=rfm.index)
    out["orders"] = rfm["frequency"] + 1
    if money:
        codes, ids = pd.factorize(purchases["customer_id"], sort=True)
        spend = pd.Series(np.bincount(codes, weights=purchases["amount"].to_numpy(float),
                                      minlength=len(ids)),
                          index=pd.Index(ids, name="customer_id"))
        out["total_spend"] = spend.reindex(rfm.index).to_numpy()
        out["average_order_value"] = out["total_spend"] / out["orders"]
    out["days_since_last"] = rfm["T"] - rfm["recency"]
    out["tenure_days"] = rfm["T"]
    out["mean_gap_days"] = np.where(rfm["frequency"] > 0,
                                    rfm["recency"] / rfm["frequency"].clip(lower=1), rfm["T"])
    out["tickets"] = 0
    out["complaints"] = 0
    if tickets is not None and len(tickets):
        tk = tickets.dropna(subset=["customer_id"])
        counts = (pd.DataFrame({"customer_id": tk["customer_id"].to_numpy(),
                                "complaint": tk["type"].eq("complaint").fillna(False)
                                .to_numpy(bool)})
                  .groupby("customer_id")["complaint"].agg(tickets="size", complaints="sum"))
        out["tickets"] = counts["tickets"].reindex(out.index).fillna(0).astype(int).to_numpy()
        out["complaints"] = counts["complaints"].reindex(out.index).fillna(0).astype(
            int).to_numpy()
    if "channel" in purchases and purchases["channel"].notna().any():
        mix = pd.crosstab(purchases["customer_id"], purchases["channel"], normalize="index")
        mix.columns = [f"share_{c}" for c in mix.columns]
        out = out.join(mix)
    return out


@dataclass
class CustomerGroups:
    """Result of :func:`find_groups`.

    Attributes
    ----------
    labels : Series
        Group number (0..k-1, ordered by median total spend, highest first) per customer id.
    k : int
        Number of groups chosen.
    silhouette : DataFrame
        ``k`` and ``silhouette`` (mean silhouette on the sample) for every k tried.
    stability_ari : float
        Mean adjusted Rand index between the chosen model and refits with other seeds (1 = the
        same grouping every time).
    features : list of str
        Columns clustered (log1p-scaled, then standardised).
    """

    labels: pd.Series
    k: int
    silhouette: pd.DataFrame
    stability_ari: float
    features: list


MIN_GROUP_CUSTOMERS = 30
"""Fewest customers to look for groups among."""


def find_groups(
    features: pd.DataFrame,
    *,
    max_clusters: int = 8,
    seed: int = 0,
    sample_size: int = 3_000,
    fit_size: int = 20_000,
    n_seeds: int = 5,
) -> CustomerGroups:
    """Choose k by silhouette, fit k-means and check its stability across seeds.

    Parameters
    ----------
    features : DataFrame
        From :func:`customer_features`.
    max_clusters : int
        Largest k tried (k from 2).
    seed : int
        Seed of the samples and of k-means.
    sample_size : int
        Customers on which the silhouette and the stability are computed.
    fit_size : int
        Customers the models are fitted on (all customers are then assigned to the nearest
        centre).
    n_seeds : int
        Refits compared for the stability.

    Returns
    -------
    CustomerGroups

    Raises
    ------
    NotEnoughData
        Fewer than :data:`MIN_GROUP_CUSTOMERS` customers, or none that differ.
    """
    cols = [c for c in CLUSTER_FEATURES if c in features and features[c].nunique() > 1]
    if len(features) < MIN_GROUP_CUSTOMERS or not cols:
        raise NotEnoughData(f"customer groups need at least {MIN_GROUP_CUSTOMERS} customers who "
                            f"differ in what they do; the data has {len(features):,}")
    X = StandardScaler().fit_transform(np.log1p(features[cols].clip(lower=0).to_numpy(float)))
    rng = np.random.default_rng(seed)
    n = len(X)
    fit_idx = rng.choice(n, min(n, fit_size), replace=False)
    sil_idx = fit_idx[: min(len(fit_idx), sample_size)]
    scores, models = [], {}
    for k in range(2, max(2, min(max_clusters, n - 1)) + 1):  # a few k values
        model = KMeans(k, n_init=2, random_state=seed).fit(X[fit_idx])
        models[k] = model
        scores.append({"k": k, "silhouette": float(silhouette_score(
            X[sil_idx], model.predict(X[sil_idx]), random_state=seed))})
    sil = pd.DataFrame(scores)
    k = int(sil.loc[sil["silhouette"].idxmax(), "k"])
    best = models[k]
    ref = best.predict(X[sil_idx])
    aris = [adjusted_rand_score(ref, KMeans(k, n_init=2, random_state=seed + i)
                                .fit(X[fit_idx]).predict(X[sil_idx]))
            for i in range(1, n_seeds)]  # a few seeds
    raw = best.predict(X)
    value = features["total_spend" if "total_spend" in features else "orders"]
    rank = (pd.Series(value.to_numpy()).groupby(raw).median()  # groups numbered by value
            .rank(ascending=False, method="first").astype(int) - 1)
    labels = pd.Series(rank.reindex(range(k)).to_numpy()[raw], index=features.index,
                       name="group")
    return CustomerGroups(labels, k, sil, float(np.mean(aris)) if aris else float("nan"), cols)


def profile_groups(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Each group in plain units.

    Returns
    -------
    DataFrame
        One row per group: ``group``, ``customers``, ``share`` of customers, ``revenue_share``,
        medians ``orders``, ``total_spend``, ``average_order_value``, ``days_since_last``,
        ``tenure_days``, ``mean_gap_days``, mean ``tickets``, and mean channel shares. The
        money columns are left out when ``features`` have no spend (a log without amounts).
    """
    frame = features.assign(group=labels)
    g = frame.groupby("group")
    money = "total_spend" in features
    medians = g[[c for c in ("orders", "total_spend", "average_order_value", "days_since_last",
                             "tenure_days", "mean_gap_days") if c in features]].median()
    out = pd.DataFrame({"customers": g.size()})
    out["share"] = out["customers"] / out["customers"].sum()
    if money:
        out["revenue_share"] = g["total_spend"].sum() / frame["total_spend"].sum()
    out = out.join(medians)
    out["tickets"] = g["tickets"].mean()
    shares = [c for c in features if c.startswith("share_")]
    if shares:
        out = out.join(g[shares].mean())
    return out.reset_index()


def name_groups(profile: pd.DataFrame, features: pd.DataFrame, *,
                lapsed_days: float | None = None) -> pd.Series:
    """Readable names from the profile, by rules.

    Rules (medians of the group against all customers): "one-timers" when the median customer
    ordered once; "lapsed" when the median days since the last order exceed ``lapsed_days``
    (default: the 80th percentile of ``mean_gap_days`` of repeat buyers, at least 90 days);
    "frequent" when median orders are at least twice the overall median (and at least 3);
    "high spenders" when median total spend exceeds the overall 75th percentile. Repeated
    names get the median spend added.

    Returns
    -------
    Series
        Name per group number.
    """
    if lapsed_days is None:
        gaps = features.loc[features["orders"] > 1, "mean_gap_days"]
        lapsed_days = max(90.0, float(gaps.quantile(0.8)) if len(gaps) else 180.0)
    orders_med = features["orders"].median()
    money = "total_spend" in features  # without amounts nobody is a "high spender"
    spend_q75 = features["total_spend"].quantile(0.75) if money else float("inf")
    names = {}
    for _, r in profile.iterrows():  # a few groups
        lapsed = r["days_since_last"] > lapsed_days
        if r["orders"] <= 1:
            name = "Lapsed one-timers" if lapsed else "Recent first-time buyers"
        elif lapsed:
            name = ("Lapsed high spenders" if money and r["total_spend"] > spend_q75 else
                    "Lapsed repeat buyers")
        else:
            frequent = r["orders"] >= max(3, 2 * orders_med)
            high = money and r["total_spend"] > spend_q75
            name = ("Frequent high spenders" if frequent and high else
                    "Frequent buyers" if frequent else
                    "High spenders" if high else "Occasional active buyers")
        names[int(r["group"])] = name
    named = pd.Series(names)
    dup = named.duplicated(keep=False)
    if dup.any() and money:
        spend = profile.set_index("group")["total_spend"]
        named[dup] = [f"{named[g]} (median spend {spend[g]:,.0f})" for g in named.index[dup]]
    elif dup.any():
        gap = profile.set_index("group")["mean_gap_days"]
        named[dup] = [f"{named[g]} (a purchase every {gap[g]:,.0f} days)"
                      for g in named.index[dup]]
    return named
