"""Unit tests of crm_analysis.potential on hand-computable data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis.potential import (
    ACTIONS,
    NotRandomisedError,
    action_sentence,
    check_randomisation,
    choose_targets,
    compare_strategies,
    expected_profit,
    grid_summary,
    metrics,
    position,
    potential_scores,
    potential_summary,
    profit_curve,
    qini_coefficient,
    qini_curve,
    tier_sentence,
    uplift_at,
)
from crm_analysis.potential.export import TARGET_LIST_COLUMNS, target_list


# -- metrics -----------------------------------------------------------------------------------
def test_normalised_gini_perfect_reversed_and_hand_value():
    y = [0.0, 0.0, 10.0]
    assert metrics.normalised_gini(y, [1, 2, 3]) == pytest.approx(1.0)
    assert metrics.normalised_gini(y, [3, 2, 1]) == pytest.approx(-1.0)
    # ranked second of three: cumulative shares 0, 1, 1 -> (2/3 - 2/3) / (1 - 2/3) = 0
    assert metrics.normalised_gini(y, [3, 1, 2]) == pytest.approx(0.0)


def test_top_decile_capture_and_share():
    y = np.array([5.0] + [0.0] * 8 + [5.0])
    p = np.array([9.0] + [1.0] * 9)
    assert metrics.top_decile_capture(y, p) == pytest.approx(0.5)
    assert metrics.top_share_capture(y, p, 0.2) == pytest.approx(0.5)  # tie keeps input order
    assert metrics.top_share_capture(y, p[::-1], 1.0) == pytest.approx(1.0)


def test_decile_calibration_means_and_mae():
    y = np.arange(20, dtype=float)
    table = metrics.decile_calibration(y, y)
    assert list(table["decile"]) == list(range(1, 11))
    assert table.loc[0, "actual"] == pytest.approx(18.5)  # the two largest
    assert table["customers"].sum() == 20
    assert metrics.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert np.isnan(metrics.spearman([1, 1, 1], [1, 2, 3]))


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="equal length"):
        metrics.mae([1, 2], [1])
    with pytest.raises(ValueError, match="finite"):
        metrics.mae([1, np.nan], [1, 2])


# -- headroom and positioning ------------------------------------------------------------------
def test_potential_scores_peer_quantile_and_tiers():
    frame = pd.DataFrame({
        "current_value": [0.0, 10.0, 20.0, 30.0, 40.0],
        "predicted_value": [50.0, 10.0, 10.0, 30.0, 40.0],
        "segment": ["A"] * 5, "behaviour_group": ["g"] * 5})
    out = potential_scores(frame, min_peers=1)
    assert out["peer_value"].iloc[0] == pytest.approx(30.0)  # upper quartile of 0..40
    assert out["headroom"].tolist() == pytest.approx([30.0, 20.0, 10.0, 0.0, 0.0])
    assert out["upside"].tolist() == pytest.approx([50.0, 20.0, 10.0, 0.0, 0.0])
    assert out["potential_tier"].astype(str).tolist() == [
        "high potential", "medium potential", "low potential", "low potential",
        "low potential"]  # ranks 1..5 of 5: 20% high, up to 50% medium


def test_tier_and_action_sentences_count_whole_customers():
    frame = potential_scores(pd.DataFrame({
        "current_value": np.arange(10.0), "predicted_value": np.arange(10.0)[::-1],
        "segment": ["A"] * 10, "behaviour_group": ["g"] * 10}), min_peers=1)
    tiers = potential_summary(frame)
    assert "customers are 2 and could add" in tier_sentence(tiers)  # not "2.0"
    grid = pd.DataFrame({"action": ["retain", "grow", "grow"], "customers": [3, 4, 5],
                         "predicted_value": [1.0, 2.0, 3.0], "value_at_risk": [7.0, 0.0, 0.0]})
    text = action_sentence(grid)
    assert "covers 3 customers with 7 of" in text and "covers 9 customers" in text
    assert "covers 0 customers expected to spend only 0" in text  # no let-go cell at all


def test_one_time_buyers_get_no_headroom_only_predicted_growth():
    frame = pd.DataFrame({
        "current_value": [0.0, 10.0, 20.0, 30.0, 40.0],
        "predicted_value": [5.0, 10.0, 10.0, 30.0, 40.0],
        "segment": ["A"] * 5, "behaviour_group": ["one-time buyer"] * 5})
    out = potential_scores(frame, min_peers=1)
    assert out["peer_value"].iloc[0] == pytest.approx(30.0)  # still reported
    assert out["headroom"].tolist() == [0.0] * 5
    assert out["upside"].tolist() == pytest.approx([5.0, 0.0, 0.0, 0.0, 0.0])


def test_position_actions_cover_the_grid():
    frame = pd.DataFrame({
        "current_value": [100.0, 100.0, 0.0, 0.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0],
        "potential_tier": ["low potential", "high potential", "high potential",
                           "low potential", "high potential", "low potential",
                           "low potential", "low potential", "low potential", "low potential"],
        "churn_risk": [0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1],
        "predicted_value": 1.0, "upside": 0.0})
    out = position(frame, value_share=0.2)
    assert out["action"].astype(str).tolist()[:6] == [
        "retain", "grow", "grow", "nurture", "win back", "let go"]
    grid = grid_summary(out)
    assert len(grid) == 8 and grid["customers"].sum() == 10
    assert set(grid["action"]) == set(ACTIONS)


# -- uplift ------------------------------------------------------------------------------------
def test_qini_curve_on_a_toy_set():
    # scores rank: a (T, 1), b (C, 0), c (T, 0), d (C, 1)
    curve = qini_curve([1, 0, 0, 1], [True, False, True, False], [4, 3, 2, 1])
    # Q(1)=1 (no control yet), Q(2)=1-0*1/1=1, Q(3)=1-0*2/1=1, Q(4)=1-1*2/2=0
    assert curve["incremental"].tolist() == pytest.approx([0, 1, 1, 1, 0])
    assert curve["random"].iloc[-1] == pytest.approx(0.0)
    # trapezoids over shares 0.25: (0.5 + 1 + 1 + 0.5) * 0.25 = 0.75, per contact / 4
    assert qini_coefficient(curve) == pytest.approx(0.75 / 4)


def test_uplift_at_top_share():
    y = [1, 0, 0, 0]
    t = [True, False, True, False]
    table = uplift_at(y, t, [4, 3, 2, 1], shares=(0.5, 1.0))
    assert table.loc[0, "observed_uplift"] == pytest.approx(1.0)
    assert table.loc[1, "observed_uplift"] == pytest.approx(0.5)


def _contacts(n: int, treated: np.ndarray, spend: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"campaign_id": np.where(np.arange(n) % 2 == 0, "C1", "C2"),
                         "customer_id": [f"c{i}" for i in range(n)],
                         "treated": treated, "converted": False, "total_spend": spend})


def test_randomised_contacts_pass():
    rng = np.random.default_rng(1)
    n = 2000
    check = check_randomisation(_contacts(n, rng.random(n) < 0.8, rng.gamma(2, 50, n)))
    assert check.ok, check.reasons
    check.raise_if_failed()


def test_refuses_treatment_only():
    n = 500
    check = check_randomisation(_contacts(n, np.ones(n, bool), np.ones(n)))
    assert not check.ok
    with pytest.raises(NotRandomisedError, match="both groups"):
        check.raise_if_failed()


def test_refuses_groups_chosen_by_spend():
    rng = np.random.default_rng(2)
    n = 2000
    spend = rng.gamma(2, 50, n)
    check = check_randomisation(_contacts(n, spend > np.quantile(spend, 0.2), spend))
    assert not check.ok
    assert any("differ before the contact" in r for r in check.reasons)
    with pytest.raises(NotRandomisedError, match="total_spend"):
        check.raise_if_failed()


def test_refuses_unstable_treatment_share():
    rng = np.random.default_rng(3)
    n = 2000
    frame = _contacts(n, np.zeros(n, bool), rng.gamma(2, 50, n))
    c1 = (frame["campaign_id"] == "C1").to_numpy()
    frame["treated"] = np.where(c1, rng.random(n) < 0.95, rng.random(n) < 0.5)
    check = check_randomisation(frame, ["total_spend"])
    assert any("varies across campaigns" in r for r in check.reasons)


# -- targeting ---------------------------------------------------------------------------------
def test_profit_curve_argmax_and_budget():
    uplift = pd.Series([0.10, 0.02, 0.05, 0.0], index=list("abcd"))
    value = pd.Series([100.0, 100.0, 100.0, 100.0], index=list("abcd"))
    profit = expected_profit(uplift, value, margin=0.5, contact_cost=2.0)
    assert profit.tolist() == pytest.approx([3.0, -1.0, 0.5, -2.0])
    curve = profit_curve(profit)
    assert curve["profit"].tolist() == pytest.approx([0, 3.0, 3.5, 2.5, 0.5])
    chosen = choose_targets(profit)
    assert int(curve["profit"].idxmax()) == int(chosen.sum()) == 2
    assert choose_targets(profit, max_contacts=1).tolist() == [True, False, False, False]
    assert choose_targets(profit, max_spend=2.0, contact_cost=2.0).sum() == 1
    table = compare_strategies(profit, {"profit": profit, "value": -profit}, 2)
    assert table["expected_profit"].tolist() == pytest.approx([3.5, -3.0])


def test_rankings_are_judged_on_observed_conversions_not_on_predictions():
    from types import SimpleNamespace

    from crm_analysis.potential import observed_strategies, targeting_sentence
    # 8 held-out contacts, half treated; the model ranks a, b, c, d first, where the treated
    # convert and the controls do not; last-window spend ranks e, f, g, h first (no effect)
    test = pd.DataFrame({
        "customer_id": list("abcdefgh"), "treated": [1, 0, 1, 0, 1, 0, 1, 0],
        "converted": [1, 0, 1, 0, 0, 0, 1, 1],
        "predicted_uplift": [0.9, 0.8, 0.7, 0.6, 0.1, 0.1, 0.1, 0.1],
        "spend_last_window": [1.0, 1.0, 1.0, 1.0, 9.0, 8.0, 7.0, 6.0],
        "recency_days": [5.0] * 8})
    table = observed_strategies(SimpleNamespace(test=test), 0.5).set_index("strategy")
    assert table.loc["uplift model", "observed_uplift"] == pytest.approx(1.0)   # 2/2 - 0/2
    assert table.loc["spend in the last window", "observed_uplift"] == pytest.approx(0.5 - 0.5)
    assert table.loc["everyone", "contacts"] == 8
    assert table.loc["everyone", "observed_uplift"] == pytest.approx(3 / 4 - 1 / 4)
    assert table.loc["uplift model", "observed_uplift_lo"] <= 1.0 <= table.loc[
        "uplift model", "observed_uplift_hi"]
    text = targeting_sentence(table.reset_index())
    assert "the contacted converted 100.0 points more than their controls" in text
    assert "by spend in the last window, 0.0 points more" in text


def test_uplift_is_shrunk_to_what_held_out_contacts_showed():
    from types import SimpleNamespace

    from crm_analysis.potential import uplift_shrinkage

    def top(predicted, observed):
        return SimpleNamespace(top=pd.DataFrame({"top_share": [0.1, 1.0],
                                                 "predicted_uplift": [0.5, predicted],
                                                 "observed_uplift": [0.4, observed]}))
    assert uplift_shrinkage(top(0.10, 0.04)) == pytest.approx(0.4)
    assert uplift_shrinkage(top(0.10, 0.30)) == 1.0   # never scaled up
    assert uplift_shrinkage(top(0.10, -0.02)) == 0.0  # nothing positive observed
    assert uplift_shrinkage(top(-0.01, 0.05)) == 1.0  # promises nothing: nothing to shrink


def test_churn_risk_agrees_with_the_churn_reports_tiers():
    from crm_analysis.churn.scoring import TIER_THRESHOLDS
    from crm_analysis.potential import TIER_BANDS, churn_risk

    assert (TIER_BANDS["medium"][0], TIER_BANDS["high"][0]) == TIER_THRESHOLDS
    bgnbd = pd.Series([0.2, 0.9, 0.3, np.nan, 0.6], index=list("abcde"))
    scores = pd.DataFrame({"customer_id": list("abcd"),
                           "churn_probability": [0.8, np.nan, np.nan, np.nan],
                           "risk_tier": ["high", "low", "high", "medium"]})
    risk, source = churn_risk(bgnbd, scores)
    # a: the model's probability; b, c: BG/NBD moved into the rule's tier; d: the band's middle;
    # e: not scored by 05, BG/NBD as it is
    assert risk.tolist() == pytest.approx([0.8, 0.4, 0.7, 0.55, 0.6])
    assert "rule tier" in source and "for 1 customers" in source


def test_target_list_columns():
    frame = pd.DataFrame({
        "action": pd.Categorical(["grow", "let go", "retain"], categories=list(ACTIONS)),
        "predicted_value": [10.0, 1.0, 50.0], "churn_risk": [0.1, 0.9, 0.8]},
        index=pd.Index(["a", "b", "c"], name="customer_id"))
    out = target_list(frame)
    assert tuple(out.columns) == TARGET_LIST_COLUMNS
    assert out["customer_id"].tolist() == ["c", "a"]  # let go is not contacted
    frame["contact"] = [True, False, True]
    frame["predicted_uplift"] = [0.1, 0.0, 0.05]
    frame["expected_order_value"] = [60.0, 60.0, 60.0]
    frame["expected_incremental_profit"] = [1.3, -0.5, 0.4]
    out = target_list(frame)
    assert out["customer_id"].tolist() == ["a", "c"]
    assert "10.0 points" in out["reason"].iloc[0]


def test_average_spend_rate_rule_by_hand():
    from crm_analysis.potential import AverageSpendRate

    frame = pd.DataFrame({"tenure_days": [9.0, 719.0], "total_spend": [100.0, 720.0]})
    # a new customer's 100 spread over at least one horizon; 720 over 720 days -> 1 a day
    assert AverageSpendRate(180).fit(frame).predict(frame).tolist() == [100.0, 180.0]
