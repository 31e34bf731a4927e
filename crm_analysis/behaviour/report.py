"""The behaviour report in one call: every section's results, the key findings, the skips."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crm_analysis import stats
from crm_analysis.behaviour import campaigns, channels, cohorts, groups, service
from crm_analysis.behaviour.discounts import discount_use
from crm_analysis.behaviour.prepare import BehaviourData
from crm_analysis.limits import NotEnoughData
from crm_analysis.markup import Markup, md

__all__ = ["MEASURES", "NO_CUSTOMERS", "BehaviourResults", "analyse", "correlation_matrix",
           "headline_metrics", "key_findings", "output_tables", "retention_sentence",
           "skipped_notes"]

MEASURES: dict[str, str] = {
    "orders": "purchase days per customer",
    "total_spend": "total spend per customer (currency)",
    "average_order_value": "spend per purchase day (currency)",
    "days_since_last": "days since the last purchase",
    "tenure_days": "days since the first purchase",
    "mean_gap_days": "mean days between purchases",
}
"""The main customer measures and their units."""

NO_CUSTOMERS = "Cohorts, purchase gaps and customer measures"
"""The skipped-section name when no purchase carries a customer id."""


@dataclass
class BehaviourResults:
    """Everything the behaviour notebook shows (None for a skipped section)."""

    data: BehaviourData
    cohorts: pd.DataFrame
    second_purchase: pd.DataFrame
    gaps: pd.DataFrame
    gap_quantiles: pd.DataFrame
    features: pd.DataFrame
    groups: groups.CustomerGroups | None
    profile: pd.DataFrame | None
    describe: pd.DataFrame
    correlations: pd.DataFrame
    signup_cohorts: pd.DataFrame | None = None
    channel_mix: pd.DataFrame | None = None
    weekly: pd.DataFrame | None = None
    discounts: pd.DataFrame | None = None
    returns: pd.DataFrame | None = None
    tickets: dict = field(default_factory=dict)
    effect: service.ComplaintEffect | None = None
    funnel: pd.DataFrame | None = None
    ab: pd.DataFrame | None = None

    @property
    def has_customers(self) -> bool:
        """Whether any purchase up to the snapshot carries a customer id."""
        return len(self.features) > 0


def analyse(data: BehaviourData, *, window_days: int = 90, n_bootstrap: int = 1000,
            max_clusters: int = 8, seed: int = 0) -> BehaviourResults:
    """Run every section the data allows.

    Parameters
    ----------
    data : BehaviourData
        From :func:`crm_analysis.behaviour.prepare`.
    window_days : int
        Follow-up window of the complaint effect test, days.
    n_bootstrap : int
        Bootstrap resamples for the intervals of the customer measures.
    max_clusters : int
        Largest number of customer groups tried.
    seed : int
        Seed of every random step.

    Returns
    -------
    BehaviourResults
    """
    p, t = data.purchases, data.tables
    days = cohorts.purchase_days(p, engine=data.engine)  # the one scan of the purchases
    gaps = cohorts.interpurchase_times(days)
    feats = groups.customer_features(p, data.as_of, t.get("service_tickets"))
    if not len(feats):
        data.skipped[NO_CUSTOMERS] = (
            f"are skipped: none of the {len(data.all_orders):,} orders up to the snapshot "
            "carries a customer id, so there is no customer to follow; channels and timing "
            "below count every order")
    try:
        grp = groups.find_groups(feats, max_clusters=max_clusters, seed=seed)
        profile = groups.profile_groups(feats, grp.labels)
        profile.insert(1, "name", profile["group"].map(groups.name_groups(profile, feats)))
    except NotEnoughData as exc:
        grp = profile = None
        data.skipped["Customer groups"] = f"are skipped: {exc}"
    measures = [m for m in MEASURES if m in feats]  # no spend without amounts
    res = BehaviourResults(
        data=data, cohorts=cohorts.cohort_table(days, data.as_of),
        second_purchase=cohorts.second_purchase_curve(days, data.as_of), gaps=gaps,
        gap_quantiles=cohorts.interpurchase_quantiles(gaps), features=feats, groups=grp,
        profile=profile,
        describe=stats.describe(feats, measures, n_bootstrap=n_bootstrap, seed=seed,
                                max_sample=5_000),
        correlations=stats.correlations(feats, measures, n_bootstrap=n_bootstrap, seed=seed))
    if "spearman" not in res.correlations or res.correlations["spearman"].isna().all():
        res.correlations = res.correlations.iloc[0:0]  # too few customers to correlate
    if data.has("customers") and "signup_date" in t["customers"]:
        signup = t["customers"].set_index("customer_id")["signup_date"]
        res.signup_cohorts = cohorts.cohort_table(days, data.as_of, signup=signup)
    if "amount" not in p:  # a log without amounts: the triangles count customers, not money
        for table in (res.cohorts, res.signup_cohorts):
            if table is not None:
                table[[c for c in table if "revenue" in c]] = np.nan
    if "Order channels" not in data.skipped:
        res.channel_mix = channels.channel_mix(data.all_orders)
    res.weekly = channels.weekly_profile(data.all_orders)
    if res.weekly.shape[1] == 1:
        data.skipped["Time of day"] = ("is not in the data (every order is dated at midnight), "
                                       "so orders are shown by weekday only")
    if data.has("order_items") and "order_id" in data.orders:
        res.discounts = discount_use(data.orders, t["order_items"], engine=data.engine)
    if "Return rates" not in data.skipped and grp is None:
        data.skipped["Return rates"] = "by customer group are skipped: there are no groups"
    elif "Return rates" not in data.skipped:
        names = grp.labels.map(profile.set_index("group")["name"])
        res.returns = channels.return_rates(data.orders, names)
    if data.has("service_tickets"):
        tk = t["service_tickets"]
        top, conc = service.top_ticket_customers(tk)
        times = service.response_times(tk)
        res.tickets = {"volume": service.ticket_volume(tk, "type"),
                       "by_channel": service.ticket_volume(tk, "channel")
                       if "channel" in tk else None,
                       "by_topic": tk["topic"].astype("string").value_counts()
                       .rename_axis("topic").rename("tickets").reset_index()
                       if "topic" in tk else None,
                       "times": times, "summary": service.response_summary(times),
                       "satisfaction": service.satisfaction_counts(tk)
                       if "satisfaction" in tk else None,
                       "top": top, "concentration": conc}
        try:
            res.effect = service.complaint_effect(p, tk, data.as_of, window_days=window_days,
                                                  seed=seed)
        except NotEnoughData as exc:
            data.skipped["Complaint effect"] = f"is skipped: {exc}"
    if data.has("campaign_contacts"):
        cc = t["campaign_contacts"]
        try:
            res.funnel = campaigns.campaign_funnel(cc, t.get("campaigns"))
            res.ab = campaigns.ab_tests(cc, p, t.get("campaigns"))
        except NotEnoughData as exc:
            data.skipped["Campaigns and A/B tests"] = f"are skipped: {exc}"
    return res


def correlation_matrix(corr: pd.DataFrame, method: str = "spearman") -> pd.DataFrame:
    """Square matrix of one correlation column of :func:`crm_analysis.stats.correlations`."""
    names = list(dict.fromkeys([*corr["x"], *corr["y"]]))
    m = pd.DataFrame(1.0, index=names, columns=names)
    for x, y, v in corr[["x", "y", method]].itertuples(index=False):  # pairs of a few measures
        m.loc[x, y] = m.loc[y, x] = v
    return m


def retention_sentence(cohort_rows: pd.DataFrame) -> Markup:
    """How many of a cohort buy again in months 1 and 3 (weighted by cohort size), in words."""
    month1 = cohorts.retention_at(cohort_rows, 1)
    month3 = cohorts.retention_at(cohort_rows, 3)
    if not np.isfinite(month1):
        return md("No cohort has lived through the month after its first month yet.")
    if not np.isfinite(month3):
        return md("On average {month1:.1%} of a cohort buys again in the month after its first "
                  "month; no cohort has lived through its third month yet.", month1=month1)
    return md("On average {month1:.1%} of a cohort buys again in the month after its first month "
              "and {month3:.1%} in the third month (cohorts weighted by size).", month1=month1,
              month3=month3)


def skipped_notes(data: BehaviourData) -> list[Markup]:
    """One sentence per skipped section (Markdown)."""
    return [md("**{section}** {reason}.", section=section, reason=reason)
            for section, reason in data.skipped.items()]


def key_findings(res: BehaviourResults) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers (Markdown)."""
    q = res.gap_quantiles.set_index("quantile")["days"]
    month3 = cohorts.retention_at(res.cohorts, 3)
    repeat90 = res.second_purchase.set_index("days")["share_repeated"].get(90, float("nan"))
    out = [
        md("As of **{day:%d %B %Y}**: {customers:,} customers with {purchases:,} purchases.",
           day=res.data.as_of, customers=len(res.features), purchases=len(res.data.purchases)),
    ]
    if res.has_customers:
        out.append(md("{repeat90:.0%} of customers buy a second time within 90 days of their "
                      "first purchase.", repeat90=repeat90) if np.isfinite(repeat90) else
                   md("No customer has been observed for 90 days after the first purchase."))
        if np.isfinite(month3):
            out.append(md("{month3:.1%} of a cohort is active in its third month after "
                          "acquisition.", month3=month3))
        if res.gaps.empty:
            out.append(md("No customer has bought on two different days yet, so there are no "
                          "gaps between purchases to learn from."))
        else:
            out.append(md(
                "Half of the gaps between purchases are shorter than {p50:,.0f} days, 80% "
                "shorter than {p80:,.0f} and 90% shorter than {p90:,.0f} days: a customer "
                "silent for longer than that is unusual (the churn report uses this for its "
                "horizon).", p50=q.get(0.5), p80=q.get(0.8), p90=q.get(0.9)))
    if res.profile is not None and "revenue_share" not in res.profile:
        top = res.profile.sort_values("share", ascending=False).iloc[0]
        out.append(md("{k} customer groups (chosen by silhouette; stability across seeds ARI "
                      "{ari:.2f}); the largest is **{name}** ({top[share]:.0%} of customers).",
                      k=res.groups.k, ari=res.groups.stability_ari, top=top, name=top["name"]))
    elif res.profile is not None:
        top = res.profile.sort_values("revenue_share", ascending=False).iloc[0]
        out.append(md("{k} customer groups (chosen by silhouette; stability across seeds ARI "
                      "{ari:.2f}); the largest revenue share, {top[revenue_share]:.0%}, comes "
                      "from **{name}** ({top[share]:.0%} of customers).", k=res.groups.k,
                      ari=res.groups.stability_ari, top=top, name=top["name"]))
    if res.effect is not None:
        r = res.effect.row("complaint")
        out.append(md(
            "Purchases followed by a complaint are followed by {change:.0%} {direction} purchase "
            "days in the next {days} days than comparable ones (95% CI "
            "{r[relative_change_lo]:+.0%} to {r[relative_change_hi]:+.0%}); "
            "{r[bought_again_exposed]:.0%} against {r[bought_again_unexposed]:.0%} buy again.",
            change=abs(r["relative_change"]),
            direction="fewer" if r["relative_change"] < 0 else "more",
            days=res.effect.window_days, r=r))
    if res.ab is not None and len(res.ab):
        pooled = res.ab.iloc[-1]
        out.append(md(
            "Campaigns raise conversion by {p[uplift]:+.1%} points over control (95% CI "
            "{p[uplift_lo]:+.1%} to {p[uplift_hi]:+.1%}, pooled over {n} campaigns); cost per "
            "incremental conversion {p[cost_per_incremental_conversion]:,.2f}.", p=pooled,
            n=len(res.ab) - 1))
    out.extend(md("Skipped: {note}", note=n) for n in skipped_notes(res.data))
    return out


def output_tables(res: BehaviourResults) -> dict[str, pd.DataFrame]:
    """The tables notebook 04 writes for the other reports (those the data allowed)."""
    out = {"cohort_retention": res.cohorts, "interpurchase_quantiles": res.gap_quantiles,
           "customer_statistics": res.describe}
    if res.groups is not None:
        names = res.profile.set_index("group")["name"].rename("group_name")
        out["customer_groups"] = (res.features.assign(group=res.groups.labels)
                                  .join(names, on="group").reset_index())
        out["group_profiles"] = res.profile
    if res.ab is not None:
        out["ab_tests"] = res.ab
    if res.effect is not None:
        out["complaint_effect"] = res.effect.table
    return out


def headline_metrics(res: BehaviourResults) -> list[dict]:
    """The report's headline numbers as ``record_metric`` keyword arguments; a number the data
    could not give is ``None`` with the reason."""
    q = res.gap_quantiles.set_index("quantile")["days"]
    nobody = res.data.skipped.get(NO_CUSTOMERS)
    no_gaps = nobody or "no customer bought on two different days"
    out = [
        {"name": "interpurchase_p80_days", "value": q.get(0.8), "fmt": ",.0f",
         "label": "Days between purchases, 80th pct", "reason": no_gaps},
        {"name": "interpurchase_p90_days", "value": q.get(0.9), "fmt": ",.0f",
         "label": "Days between purchases, 90th pct", "reason": no_gaps},
        {"name": "retention_month3", "value": cohorts.retention_at(res.cohorts, 3),
         "label": "Cohort share active in month 3", "fmt": ".1%",
         "reason": nobody or "no cohort has lived through its third month"},
        {"name": "n_groups", "value": res.groups.k if res.groups is not None else None,
         "label": "Customer groups", "reason": res.data.skipped.get("Customer groups")},
        {"name": "group_stability_ari",
         "value": res.groups.stability_ari if res.groups is not None else None,
         "label": "Group stability (ARI)", "fmt": ".2f",
         "reason": res.data.skipped.get("Customer groups")},
    ]
    row = res.effect.row("complaint") if res.effect is not None else {}
    for key in ("relative_change", "relative_change_lo", "relative_change_hi"):
        out.append({"name": key.replace("relative_change", "complaint_effect"),
                    "value": row.get(key), "fmt": "+.1%",
                    "label": f"Complaint effect on later purchasing ({key})",
                    "reason": res.data.skipped.get("Complaint effect", "no service tickets")
                    if res.effect is None else "too few cases to estimate it"})
    pooled = res.ab.iloc[-1] if res.ab is not None else {}
    for key in ("uplift", "uplift_lo", "uplift_hi"):
        out.append({"name": f"ab_pooled_{key}", "value": pooled.get(key), "fmt": "+.2%",
                    "label": f"Campaign {key} (pooled)",
                    "reason": res.data.skipped.get("Campaigns and A/B tests",
                                                   "no campaign contacts")})
    return out
