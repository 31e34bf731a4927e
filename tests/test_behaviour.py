"""crm_analysis.behaviour: hand-built cases, then synthetic checks against the generator truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis import behaviour
from crm_analysis.synthetic import SyntheticConfig, generate


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    frame["customer_id"] = frame["customer_id"].astype("string")
    return frame


HAND = _orders([
    ("a", "2024-01-05", 10.0), ("a", "2024-02-10", 20.0), ("a", "2024-02-11", 5.0),
    ("b", "2024-01-20", 30.0), ("b", "2024-03-01", 40.0),
    ("c", "2024-02-02", 50.0),
])


def test_cohort_triangle_by_hand():
    cohorts = behaviour.cohort_table(HAND, "2024-03-15")
    jan = cohorts[cohorts["cohort"] == pd.Timestamp("2024-01-01")].set_index("months_since")
    feb = cohorts[cohorts["cohort"] == pd.Timestamp("2024-02-01")].set_index("months_since")
    assert jan["customers"].tolist() == [2, 2, 2]
    assert jan["retention"].tolist() == [1.0, 0.5, 0.5]  # Feb: a; Mar: b
    assert jan["revenue_per_customer"].tolist() == [20.0, 12.5, 20.0]
    assert jan["cumulative_revenue_per_customer"].tolist() == [20.0, 32.5, 52.5]
    assert feb.index.tolist() == [0, 1] and feb["retention"].tolist() == [1.0, 0.0]
    tri = behaviour.triangle(cohorts)
    assert tri.loc["2024-02", 2] != tri.loc["2024-02", 2]  # NaN: not reached yet
    assert behaviour.retention_at(cohorts, 1) == pytest.approx(0.5)  # Jan cohort only (complete)


def test_cohorts_by_signup_month():
    signup = pd.Series(pd.to_datetime(["2023-12-20"]), index=pd.Index(["a"], dtype="string"))
    cohorts = behaviour.cohort_table(HAND, "2024-03-15", signup=signup)
    dec = cohorts[cohorts["cohort"] == pd.Timestamp("2023-12-01")]
    assert dec["customers"].iloc[0] == 1 and dec["active"].tolist()[:3] == [0, 1, 1]


def test_interpurchase_gaps_and_quantiles():
    gaps = behaviour.interpurchase_times(HAND)
    assert sorted(gaps["gap_days"].tolist()) == [1, 36, 41]
    assert gaps.set_index("gap_days").loc[1, "purchase_number"] == 3
    q = behaviour.interpurchase_quantiles(gaps, (0.5,))
    assert q["days"].item() == 36


def test_second_purchase_curve_censors_recent_customers():
    curve = behaviour.second_purchase_curve(HAND, "2024-03-15").set_index("days")
    # a after 36 days, b after 41; c censored at 42 days: after 41 days 2 of 3 repeated
    assert curve.loc[35, "share_repeated"] == 0
    assert curve.loc[36, "share_repeated"] == pytest.approx(1 / 3)
    assert curve.loc[41, "share_repeated"] == pytest.approx(1 - (2 / 3) * (1 / 2))
    assert curve.loc[100, "share_repeated"] == curve.loc[41, "share_repeated"]


def test_guest_orders_only_keep_channels_and_timing():
    """No order has a customer id: the customer sections say so, the order sections run."""
    guests = HAND.assign(customer_id=pd.Series([pd.NA] * len(HAND), dtype="string"))
    data = behaviour.prepare({"orders": guests}, as_of="2024-03-15")
    res = behaviour.analyse(data, n_bootstrap=20)
    assert not res.has_customers and res.cohorts.empty and res.second_purchase.empty
    assert res.weekly is not None and res.weekly.to_numpy().sum() == pytest.approx(1.0)
    assert "none of the 6 orders" in data.skipped[behaviour.NO_CUSTOMERS]
    findings = " ".join(behaviour.key_findings(res))
    assert "nan" not in findings and "0 customers with 0 purchases" in findings
    assert "dated at midnight" in data.skipped["Time of day"]
    reasons = {m["name"]: m["reason"] for m in behaviour.headline_metrics(res)}
    assert "customer id" in reasons["retention_month3"]


def test_retention_sentence_says_what_the_cohorts_cannot_show():
    assert "No cohort has lived through" in behaviour.retention_sentence(
        behaviour.cohort_table(HAND[HAND["order_date"] <= "2024-01-31"], "2024-01-31"))
    two = behaviour.retention_sentence(behaviour.cohort_table(HAND, "2024-03-15"))
    assert "50.0% of a cohort" in two and "no cohort has lived through its third" in two


def test_prepare_cuts_at_the_snapshot_and_names_skips():
    orders = HAND.assign(status=["completed", "cancelled", "completed", "returned",
                                 "completed", "completed"], order_id=list("123456"))
    data = behaviour.prepare({"orders": orders}, as_of="2024-02-10")
    assert data.all_orders["order_date"].max() == pd.Timestamp("2024-02-10")
    assert len(data.purchases) == 3  # the cancelled 10 Feb order is not a purchase
    assert "Customer service" in data.skipped and "Order channels" in data.skipped
    assert "Return rates" not in data.skipped
    rates = behaviour.return_rates(data.orders).iloc[0]
    assert rates["orders"] == 4 and rates["returned"] == 1 and rates["cancelled"] == 1


def test_channel_mix_and_weekly_profile():
    orders = HAND.assign(channel=["web", "app", "web", "web", None, "app"])
    mix = behaviour.channel_mix(orders)
    feb = mix[mix["period"] == pd.Timestamp("2024-02-01")].set_index("channel")
    assert feb.loc["app", "share"] == pytest.approx(2 / 3)
    prof = behaviour.weekly_profile(orders)  # dates without times: weekdays only
    assert prof.shape == (7, 1) and prof.to_numpy().sum() == pytest.approx(1)
    assert prof.loc["Fri", "any time"] == pytest.approx(3 / 6)  # 5 Jan, 2 Feb, 1 Mar: Fridays
    timed = orders.assign(order_date=orders["order_date"] + pd.Timedelta(hours=14))
    prof = behaviour.weekly_profile(timed)
    assert prof.shape == (7, 24) and prof.loc["Fri", 14] == pytest.approx(3 / 6)


def test_discount_use():
    orders = HAND.assign(order_id=list("123456"))
    items = pd.DataFrame({"order_id": ["1", "1", "2", "4"], "quantity": [1.0, 2, 1, 1],
                          "unit_price": [10.0, 5, 20, 30], "discount": [0.1, 0, 0, 0.5]})
    out = behaviour.discount_use(orders, items).set_index("period")
    jan = out.loc[pd.Timestamp("2024-01-01")]
    assert jan["share_discounted"] == 1.0
    assert jan["discount_value_share"] == pytest.approx((1 + 15) / (20 + 30))


def test_window_spend_counts_only_the_window():
    contacts = pd.DataFrame({"customer_id": ["a", "b", "zz"],
                             "sent_at": pd.to_datetime(["2024-02-01", "2024-02-20",
                                                        "2024-02-01"])})
    spend = behaviour.window_spend(contacts, HAND, 14.0)
    assert spend.tolist() == [25.0, 40.0, 0.0]  # b: 1 Mar is in the window


def test_effect_panel_has_no_look_ahead():
    purchases = _orders([("a", "2024-01-01", 1), ("a", "2024-01-10", 1), ("a", "2024-02-20", 1),
                         ("b", "2024-01-01", 1), ("b", "2024-01-10", 1)])
    tickets = pd.DataFrame({"customer_id": ["b", "a"], "type": ["complaint", "inquiry"],
                            "opened_at": pd.to_datetime(["2024-01-11", "2024-02-21"]),
                            "resolved_at": [pd.Timestamp("2024-01-20"),
                                            pd.Timestamp("2024-02-21 10:00")],
                            "satisfaction": [1, 5]})
    panel = behaviour.effect_panel(purchases, tickets, "2024-06-30", window_days=60,
                                   lag_days=14)
    row = panel.set_index(["customer_id", "purchase_day"])
    b = row.loc[("b", pd.Timestamp("2024-01-10"))]
    assert b["complaint"] and b["slow_resolution"] and b["low_satisfaction"]
    assert b["later_days"] == 0
    a = row.loc[("a", pd.Timestamp("2024-01-10"))]
    assert not a["complaint"] and a["later_days"] == 1  # 20 Feb lies in [24 Jan, 24 Mar)
    assert ("a", pd.Timestamp("2024-02-20")) in row.index
    assert panel["purchase_day"].max() <= pd.Timestamp("2024-06-30") - pd.Timedelta(days=74)


def test_group_names_follow_the_rules():
    feats = pd.DataFrame({"orders": [1, 1, 10, 12, 2], "total_spend": [20, 30, 900, 1200, 50],
                          "days_since_last": [400, 10, 5, 8, 30],
                          "mean_gap_days": [400, 10, 20, 25, 30]})
    profile = pd.DataFrame({"group": [0, 1, 2], "orders": [11, 1, 1],
                            "total_spend": [1000, 25, 25], "days_since_last": [6, 400, 10]})
    names = behaviour.name_groups(profile, feats)
    assert names.tolist() == ["Frequent high spenders", "Lapsed one-timers",
                              "Recent first-time buyers"]


# ---------------------------------------------------------------------------------------------
# synthetic checks against the generator's truth
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    data = generate(SyntheticConfig(n_customers=8_000, seed=7, dirty=False))
    return data, behaviour.prepare(data.clean, data.config.end)


def test_complaint_effect_direction_and_size_match_the_truth(synthetic):
    """The generator doubles the dropout chance after a complaint (x3 when slow).

    Direction: the adjusted effect on later purchasing must be negative and its interval must
    exclude no effect's positive side. Size: exposure is as good as random at the purchase level
    (tickets follow purchases at a fixed rate), so the raw relative risk of buying again
    estimates the change in the chance to stay alive, which the truth gives via
    ``implied_dropout_effect``. Tolerance: the implied value must lie within the measured 95%
    interval widened by 0.05 (the chance to buy again also depends on the purchase rate of the
    survivors within 90 days, which dilutes the effect a little).
    """
    data, bd = synthetic
    eff = behaviour.complaint_effect(bd.purchases, bd.tables["service_tickets"], bd.as_of)
    row = eff.row("complaint")
    assert row["relative_change"] < 0 and row["bought_again_rr"] < 1
    assert row["bought_again_rr_hi"] < 1
    exposed = eff.panel.query("complaint")
    slow = exposed["slow_resolution"].to_numpy()
    factor = np.where(exposed["purchase_number"] == 1, 1.0,
                      data.config.complaint_dropout_factor
                      * np.where(slow, data.config.complaint_slow_factor, 1.0))
    p = data.truth["customers"].set_index("customer_id")["p"].reindex(exposed["customer_id"])
    implied = behaviour.implied_dropout_effect(p, factor)
    assert implied < 0
    assert row["bought_again_rr_lo"] - 1 - 0.05 <= implied <= row["bought_again_rr_hi"] - 1 + 0.05
    inquiry = eff.row("inquiry")  # no effect in the generator
    assert inquiry["bought_again_rr_lo"] - 0.05 <= 1 <= inquiry["bought_again_rr_hi"] + 0.05


def test_pooled_campaign_uplift_covers_the_true_mean_uplift(synthetic):
    data, bd = synthetic
    ab = behaviour.ab_tests(bd.tables["campaign_contacts"], bd.purchases,
                            bd.tables["campaigns"])
    pooled = ab.iloc[-1]
    assert pooled["campaign_id"] == "pooled"
    truth = data.truth["uplift"]
    true_mean = truth.loc[truth["group"] == "treatment", "uplift_probability"].mean()
    assert pooled["uplift_lo"] <= true_mean <= pooled["uplift_hi"]
    assert pooled["uplift"] > 0 and pooled["spend_uplift"] > 0
    funnel = behaviour.campaign_funnel(bd.tables["campaign_contacts"])
    assert ((funnel["rate_lo"] <= funnel["rate"]) & (funnel["rate"] <= funnel["rate_hi"])).all()
    assert (funnel["name"] == funnel["campaign_id"]).all()  # no campaigns table: the id
    named = behaviour.campaign_funnel(bd.tables["campaign_contacts"], bd.tables["campaigns"])
    names = bd.tables["campaigns"].set_index("campaign_id")["name"]
    assert (named["name"] == named["campaign_id"].map(names)).all()  # read by name (issue 18)


def test_groups_are_stable_and_named(synthetic):
    _, bd = synthetic
    feats = behaviour.customer_features(bd.purchases, bd.as_of, bd.tables["service_tickets"])
    groups = behaviour.find_groups(feats, max_clusters=4, seed=1)
    assert 2 <= groups.k <= 4 and groups.stability_ari > 0.8
    profile = behaviour.profile_groups(feats, groups.labels)
    names = behaviour.name_groups(profile, feats)
    assert names.is_unique and len(names) == groups.k
    assert profile["share"].sum() == pytest.approx(1)
