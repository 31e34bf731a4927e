"""crm_analysis.stats: intervals, effect sizes and tests on hand-computable data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_analysis import stats


def test_bootstrap_ci_contains_the_estimate_and_is_seeded():
    x = np.random.default_rng(1).gamma(2.0, 10.0, 500)
    a = stats.bootstrap_ci(x, ("mean", "median", "std", "iqr", "skewness"), seed=3)
    b = stats.bootstrap_ci(x, ("mean", "median", "std", "iqr", "skewness"), seed=3)
    assert a.equals(b)
    assert (a["ci_lo"] <= a["estimate"]).all() and (a["estimate"] <= a["ci_hi"]).all()
    assert a.set_index("statistic").loc["mean", "estimate"] == pytest.approx(x.mean())


def test_bootstrap_mean_interval_matches_the_normal_interval():
    x = np.random.default_rng(2).normal(5, 2, 2_000)
    row = stats.bootstrap_ci(x, ("mean",), n_bootstrap=2000, seed=0).iloc[0]
    half = 1.96 * x.std(ddof=1) / np.sqrt(len(x))
    assert row["ci_hi"] - row["ci_lo"] == pytest.approx(2 * half, rel=0.1)


def test_subsampled_bootstrap_keeps_the_width():
    x = np.random.default_rng(3).normal(0, 1, 40_000)
    full = stats.bootstrap_ci(x, ("mean",), seed=0, max_sample=40_000).iloc[0]
    sub = stats.bootstrap_ci(x, ("mean",), seed=0, max_sample=4_000).iloc[0]
    assert sub["ci_hi"] - sub["ci_lo"] == pytest.approx(full["ci_hi"] - full["ci_lo"], rel=0.15)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=40))
def test_bootstrap_median_interval_contains_the_median(values):
    row = stats.bootstrap_ci(values, ("median",), n_bootstrap=200, seed=0).iloc[0]
    assert row["ci_lo"] - 1e-9 <= row["estimate"] <= row["ci_hi"] + 1e-9


def test_describe_is_long_and_named():
    frame = {"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 2.0, 5.0, 9.0]}
    import pandas as pd

    out = stats.describe(pd.DataFrame(frame), n_bootstrap=50)
    assert set(out["measure"]) == {"a", "b"}
    assert out.query("measure == 'a' and statistic == 'variance'")["estimate"].item() == \
        pytest.approx(np.var([1, 2, 3, 4], ddof=1))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_within_0_1_and_contains_p(k, extra):
    n = k + extra - 1 if k + extra - 1 >= k and k + extra - 1 > 0 else max(k, 1)
    lo, hi = stats.wilson_ci(k, n)
    assert 0 <= lo <= k / n <= hi <= 1


def test_wilson_known_value():
    lo, hi = stats.wilson_ci(10, 100)  # textbook: 0.0552 .. 0.1744
    assert float(lo) == pytest.approx(0.0552, abs=1e-3)
    assert float(hi) == pytest.approx(0.1744, abs=1e-3)


def test_newcombe_difference_known_value():
    # Newcombe (1998), example: 56/70 vs 48/80 -> difference 0.2, interval 0.0524 .. 0.3339
    r = stats.compare_proportions(56, 70, 48, 80)
    assert r.difference == pytest.approx(0.2)
    assert r.difference_lo == pytest.approx(0.0524, abs=1e-3)
    assert r.difference_hi == pytest.approx(0.3339, abs=1e-3)
    assert r.relative_risk == pytest.approx((56 / 70) / (48 / 80))
    assert r.relative_risk_lo < r.relative_risk < r.relative_risk_hi
    assert 0 < r.p_value < 0.01 and 0.5 < r.power < 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=30),
       st.lists(st.integers(0, 20), min_size=1, max_size=30))
def test_cliffs_delta_is_antisymmetric_and_bounded(a, b):
    d = stats.cliffs_delta(a, b)
    assert d == pytest.approx(-stats.cliffs_delta(b, a))
    assert -1 <= d <= 1


def test_cliffs_delta_by_hand_and_interval():
    assert stats.cliffs_delta([3, 4], [1, 2]) == 1.0
    assert stats.cliffs_delta([1, 2], [1, 2]) == 0.0  # ties count half
    r = stats.compare_distributions(np.arange(50) + 10, np.arange(50))
    assert r.ci_lo < r.effect < r.ci_hi and r.p_value < 0.05


def test_welch_difference_matches_scipy():
    rng = np.random.default_rng(4)
    a, b = rng.normal(1, 1, 200), rng.normal(0, 3, 50)
    r = stats.compare_means(a, b)
    assert r.effect == pytest.approx(a.mean() - b.mean())
    assert r.ci_lo < r.effect < r.ci_hi
    from scipy.stats import ttest_ind

    ci = ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (r.ci_lo, r.ci_hi) == pytest.approx((ci.low, ci.high))


def test_correlations_fisher_and_spearman():
    rng = np.random.default_rng(5)
    x = rng.normal(size=400)
    import pandas as pd

    frame = pd.DataFrame({"x": x, "y": np.exp(x) + rng.normal(0, 0.1, 400), "z": rng.normal(
        size=400)})
    out = stats.correlations(frame, ["x", "y", "z"], n_bootstrap=300).set_index(["x", "y"])
    xy = out.loc[("x", "y")]
    assert xy["spearman"] > 0.95 and xy["spearman_lo"] <= xy["spearman"] <= xy["spearman_hi"]
    assert xy["pearson_lo"] < xy["pearson"] < xy["pearson_hi"]
    assert xy["covariance"] == pytest.approx(np.cov(frame["x"], frame["y"])[0, 1])
    assert out.loc[("x", "z"), "pearson_lo"] < 0 < out.loc[("x", "z"), "pearson_hi"]


def test_power_grows_with_sample_size_and_is_alpha_at_no_effect():
    small, large = stats.power_two_proportions(0.1, 0.15, [100, 5000], [100, 5000])
    assert small < large and large > 0.99
    assert float(stats.power_two_proportions(0.1, 0.1, 100, 100)) == pytest.approx(0.05)
