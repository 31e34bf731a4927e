"""Unit tests of RFM scores and segments, revenue concentration and the holdout checks, on data
small enough to check by hand (plus property tests where a rule holds for any input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_analysis.features import (
    calibration_holdout,
    customer_rfm,
    daily_repeat_purchases,
    rfm_summary,
)
from crm_analysis.value import (
    SEGMENT_GRID,
    SEGMENTS,
    BetaGeo,
    gini,
    holdout_accuracy,
    holdout_by_frequency,
    holdout_predictions,
    holdout_split,
    lorenz_curve,
    period_transactions,
    purchase_orders,
    quintile_scores,
    revenue_concentration,
    rfm_scores,
    rfm_segment,
    segment_summary,
    top_share,
    tracking,
    value_tiers,
)


def orders(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    cid, date, amount = zip(*rows, strict=True)
    return pd.DataFrame({"customer_id": pd.array(cid, dtype="string"),
                         "order_date": pd.to_datetime(list(date), format="ISO8601"),
                         "amount": list(amount)})


# -- RFM -----------------------------------------------------------------------------------------
def test_customer_rfm_by_hand():
    tx = orders([("A", "2024-01-01 10:00", 10.0), ("A", "2024-01-05 09:00", 30.0),
                 ("B", "2024-01-09 23:59", 5.0), ("B", "2024-01-11 08:00", 99.0),  # after as_of
                 (None, "2024-01-03", 7.0)])
    out = customer_rfm(tx, as_of="2024-01-10")
    assert list(out.index) == ["A", "B"]
    assert out.loc["A", "recency_days"] == 5 and out.loc["B", "recency_days"] == 1
    assert out.loc["A", "orders"] == 2 and out.loc["B", "orders"] == 1
    assert out.loc["A", "revenue"] == 40.0 and out.loc["B", "revenue"] == 5.0


def test_quintile_scores_tied_customers_share_the_lower_score():
    # 97% one-time buyers: every one of them has F = 1, the repeat buyers the top scores
    orders = pd.Series([1] * 97 + [2, 2, 3])
    scores = quintile_scores(orders)
    assert set(scores[:97]) == {1} and scores[97:].tolist() == [5, 5, 5]
    # recency: fewer days is better; ties share the worse score
    days = pd.Series([0, 10, 20, 30, 40, 50, 60, 70, 80, 90])
    assert quintile_scores(days, higher_is_better=False).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert quintile_scores(pd.Series([5, 5, 90, 90]), higher_is_better=False).tolist() == [
        4, 4, 1, 1]
    assert quintile_scores(pd.Series([1] * 10)).tolist() == [3] * 10  # no information
    assert quintile_scores(pd.Series([3.0])).tolist() == [3]
    assert quintile_scores(pd.Series([], dtype=float)).tolist() == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=60, unique=True))
def test_quintile_scores_equal_qcut_of_rank_for_distinct_values(values):
    s = pd.Series(values, dtype=float)
    expected = pd.qcut(s.rank(method="first"), 5, labels=False) + 1
    assert quintile_scores(s).tolist() == expected.astype(int).tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=60))
def test_quintile_scores_are_monotone_and_equal_for_equal_values(values):
    s = pd.Series(values, dtype=float)
    scores = quintile_scores(s)
    assert scores.groupby(s).nunique().max() == 1
    order = s.sort_values(kind="stable").index
    assert scores[order].is_monotonic_increasing


def test_segment_grid_covers_every_cell_once_and_named_rules():
    assert SEGMENT_GRID.shape == (5, 5)
    assert set(SEGMENT_GRID.ravel()) == set(range(len(SEGMENTS)))
    r = pd.Series([5, 5, 1, 1, 3, 4, 5, 2])
    f = pd.Series([5, 1, 5, 1, 3, 1, 3, 4])
    m = pd.Series([4, 1, 5, 2, 3, 1, 2, 3])
    got = rfm_segment(r, f, m).astype(str).tolist()
    # FM = (F + M + 1) // 2 -> 5, 1, 5, 2, 3, 1, 3, 4
    assert got == ["Champions", "New", "Can't Lose", "Hibernating", "Need Attention",
                   "Promising", "Potential Loyalists", "At Risk"]
    with pytest.raises(ValueError, match=r"1\.\.5"):
        rfm_segment(pd.Series([6]), pd.Series([1]), pd.Series([1]))


def test_rfm_scores_and_segment_summary():
    rfm = pd.DataFrame({"recency_days": [1, 2, 3, 400, 500], "orders": [9, 8, 1, 7, 1],
                        "revenue": [900.0, 800.0, 10.0, 700.0, 5.0]},
                       index=pd.Index(list("ABCDE"), name="customer_id"))
    scored = rfm_scores(rfm)
    assert scored["recency_score"].tolist() == [5, 4, 3, 2, 1]
    assert scored["frequency_score"].tolist() == [5, 4, 1, 3, 1]  # C and E tie at one order
    assert scored.loc["A", "rfm_code"] == "555"
    assert scored["segment"].astype(str).tolist() == [
        "Champions", "Loyal", "About to Sleep", "At Risk", "Hibernating"]
    summary = segment_summary(scored)
    assert summary["segment"].tolist() == list(SEGMENTS)
    assert summary["customers"].sum() == 5
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    champions = summary.set_index("segment").loc["Champions"]
    assert champions["customers"] == 1 and champions["revenue_share"] == pytest.approx(900 / 2415)
    assert summary.set_index("segment").loc["New", "customers"] == 0


# -- concentration ---------------------------------------------------------------------------------
def test_concentration_by_hand():
    revenue = pd.Series([0.0, 0.0, 0.0, 10.0] + [0.0] * 6)  # one customer takes all
    assert gini(revenue) == pytest.approx(0.9)                 # 1 - 1/n
    assert gini([5.0, 5.0, 5.0]) == pytest.approx(0.0)
    assert gini([1.0, 3.0]) == pytest.approx(0.25)             # 2(1+6)/(2*4) - 3/2
    assert np.isnan(gini([0.0, 0.0]))
    table = revenue_concentration(np.arange(1.0, 101.0))       # 1..100, total 5050
    assert table["customers"].tolist() == [1, 10, 20]
    assert table["revenue_share"].tolist() == pytest.approx(
        [100 / 5050, sum(range(91, 101)) / 5050, sum(range(81, 101)) / 5050])
    assert top_share([-5.0, 5.0], 0.5) == 1.0                  # negatives count as 0


def test_lorenz_curve_points():
    curve = lorenz_curve([1.0, 3.0], n_points=None)
    assert curve["customer_share"].tolist() == [0.0, 0.5, 1.0]
    assert curve["revenue_share"].tolist() == [0.0, 0.25, 1.0]
    big = lorenz_curve(np.arange(5000.0), n_points=101)
    assert len(big) == 101 and big["revenue_share"].iloc[[0, -1]].tolist() == [0.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=80))
def test_gini_is_one_minus_twice_the_area_under_the_lorenz_curve(values):
    if sum(values) <= 0:
        return
    curve = lorenz_curve(values, n_points=None)
    x, y = curve["customer_share"].to_numpy(), curve["revenue_share"].to_numpy()
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))
    assert gini(values) == pytest.approx(1 - 2 * area, abs=1e-9)
    assert np.all(np.diff(y) >= -1e-12) and np.all(y <= x + 1e-12)
    assert 0 <= top_share(values, 0.1) <= 1


# -- holdout checks ----------------------------------------------------------------------------
class FlatModel:
    """A stand-in purchase model: one purchase per week for everybody, no dropout."""

    def expected_purchases(self, t, frequency, recency, T):
        return np.broadcast_to(np.asarray(t, float), np.shape(frequency)).copy()

    def expected_purchases_new(self, t):
        return np.asarray(t, float)

    def purchase_count_distribution(self, t, n_max):
        p = np.zeros(n_max + 2)  # the purchase count is exactly round(t)
        p[min(round(t), n_max + 1)] = 1.0
        return p[:-1]


def test_holdout_predictions_grouping_and_error():
    cal_hold = pd.DataFrame({"frequency": [0, 0, 1, 9], "recency": [0, 0, 1, 5],
                             "T": [2, 3, 4, 6], "frequency_holdout": [0, 2, 1, 4],
                             "duration_holdout": [2.0] * 4})
    pred = holdout_predictions({"flat": FlatModel()}, cal_hold)
    assert pred["flat"].tolist() == [2.0, 2.0, 2.0, 2.0]
    by_freq = holdout_by_frequency(pred, max_frequency=7).set_index("calibration_frequency")
    assert by_freq.loc["0", "customers"] == 2 and by_freq.loc["0", "actual"] == 1.0
    assert by_freq.loc["7+", "actual"] == 4.0 and by_freq.loc["3", "customers"] == 0
    err = holdout_accuracy(pred, "flat")
    assert err.actual_total == 7 and err.predicted_total == 8
    assert err.mae == pytest.approx((2 + 0 + 1 + 2) / 4)
    assert err.total_error == pytest.approx(1 / 7)


def test_period_transactions_sums_to_customers():
    summary = pd.DataFrame({"frequency": [0, 1, 2, 9], "T": [1.0, 1.0, 2.0, 30.0]})
    out = period_transactions(FlatModel(), summary, max_repeat=7)
    assert out["repeat_purchases"].astype(str).tolist()[-1] == "7+"
    assert out["actual"].tolist() == [1, 1, 1, 0, 0, 0, 0, 1]
    assert out["expected"].tolist() == [0, 2, 1, 0, 0, 0, 0, 1]   # T=30 lands in 7+


def test_tracking_by_hand():
    # A: first 2024-01-01, repeats 01-03 and 01-10 (two orders that day count once)
    # B: first 2024-01-05 (calibration cohort), C: first 2024-01-09 (after calibration: ignored)
    tx = orders([("A", "2024-01-01", 1.0), ("A", "2024-01-03", 1.0), ("A", "2024-01-10", 1.0),
                 ("A", "2024-01-10 18:00", 1.0), ("B", "2024-01-05", 1.0),
                 ("C", "2024-01-09", 1.0), ("C", "2024-01-10", 1.0)])
    daily = daily_repeat_purchases(tx, cohort_end="2024-01-07", as_of="2024-01-14")
    out = tracking(FlatModel(), daily, calibration_end="2024-01-07", time_scaler=7.0)
    assert out["week_end"].dt.strftime("%m-%d").tolist() == ["01-07", "01-14"]
    assert out["period"].tolist() == ["calibration", "holdout"]
    assert out["actual"].tolist() == [1.0, 1.0]
    # expected cumulative on day d: sum over cohorts of (d - first) / 7
    assert out["expected_cumulative"].tolist() == pytest.approx([6 / 7 + 2 / 7, 13 / 7 + 9 / 7])
    assert out["actual_cumulative"].tolist() == [1.0, 2.0]


def test_tracking_matches_bgnbd_expectation_over_cohorts():
    rng = np.random.default_rng(3)
    n = 400
    first = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    gaps = pd.to_timedelta(rng.integers(1, 200, (n, 3)).cumsum(axis=1).ravel(), unit="D")
    ids = np.repeat(np.arange(n), 4).astype(str)
    dates = np.column_stack([first.values, (first.values[:, None] + gaps.values.reshape(n, 3))])
    tx = pd.DataFrame({"customer_id": ids, "order_date": dates.ravel(), "amount": 1.0})
    end = pd.Timestamp("2024-12-31")
    cal_hold = calibration_holdout(tx, calibration_end="2024-06-30", as_of=end,
                                   time_scaler=7)
    model = BetaGeo(penalizer_coef=0.01).fit(cal_hold)  # no dropout in this data
    daily = daily_repeat_purchases(tx, cohort_end="2024-06-30", as_of=end)
    out = tracking(model, daily, calibration_end="2024-06-30")
    # the last cumulative expectation equals the sum of each customer's E[X(age at end)]
    ages = (end - first).days.to_numpy() / 7
    assert out["expected_cumulative"].iloc[-1] == pytest.approx(
        float(np.sum(model.expected_purchases_new(ages))), rel=1e-9)
    actual_repeat = (rfm_summary(tx, as_of=end)["frequency"]).sum()
    assert out["actual_cumulative"].iloc[-1] == actual_repeat


# -- report helpers ------------------------------------------------------------------------------
def test_purchase_orders_and_holdout_split():
    tx = orders([("A", "2024-01-01", 10.0), ("A", "2024-02-01", 0.0), (None, "2024-01-02", 3.0),
                 ("B", "2024-03-02", 5.0)])
    got = purchase_orders(tx, "2024-03-01")
    assert len(got.orders) == 1
    assert (got.guest_orders, got.after_snapshot, got.not_positive) == (1, 1, 1)
    split = holdout_split("2024-01-01", "2024-12-31", 52)
    assert split.shortened and split.holdout_weeks == 26
    assert split.calibration_end == pd.Timestamp("2024-12-31") - pd.Timedelta(weeks=26)
    assert not holdout_split("2020-01-01", "2024-12-31", 52).shortened
    with pytest.raises(ValueError, match="too short"):
        holdout_split("2024-12-25", "2024-12-31", 52)


def test_value_tiers_sizes():
    tiers = value_tiers(pd.Series(np.arange(20.0)))
    counts = tiers.value_counts()
    assert counts["top 10%"] == 2 and counts["next 10%"] == 2 and counts["next 30%"] == 6
    assert counts["bottom 50%"] == 10 and tiers.iloc[-1] == "top 10%"


def test_value_tiers_never_lift_tied_customers():
    # 95 customers spent nothing in the window: none of them is in a top tier
    tiers = value_tiers(pd.Series([0.0] * 95 + [10.0, 20.0, 30.0, 40.0, 50.0]))
    assert set(tiers[:95]) == {"bottom 50%"}
    assert set(tiers[95:]) == {"top 10%"}  # the five spenders are the top 5%
