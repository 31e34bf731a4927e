"""Demand analysis: aggregations, growth, baskets, MASE, STL strength, forecasts (hand-checked)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis import demand
from crm_analysis.synthetic import SyntheticConfig, generate


def _orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "amount",
                                       "status"]).assign(
        order_date=lambda d: pd.to_datetime(d["order_date"]))


@pytest.fixture
def tiny():
    """Four orders in two weeks (Mon 2024-01-01 .. Sun 2024-01-14), one guest, one cancelled."""
    orders = _orders([
        ("1", "A", "2024-01-01 10:00", 30.0, "completed"),
        ("2", None, "2024-01-03 12:00", 10.0, "completed"),
        ("3", "B", "2024-01-08 09:00", 25.0, "completed"),
        ("4", "A", "2024-01-09 09:00", 99.0, "cancelled"),
    ])
    items = pd.DataFrame({"order_id": ["1", "1", "2", "3", "3"],
                          "product_id": ["p", "q", "p", "q", "r"],
                          "quantity": [2.0, 1.0, 1.0, 1.0, 3.0],
                          "unit_price": [10.0, 10.0, 10.0, 10.0, 5.0],
                          "discount": [0.0, 0.0, 0.0, 0.0, 0.0]})
    products = pd.DataFrame({"product_id": ["p", "q", "r"], "category": ["X", "Y", "Y"]})
    return orders, items, products


def test_lines_and_weekly_aggregation_by_hand(tiny):
    orders, items, products = tiny
    lines = demand.demand_lines(orders, items, products, as_of="2024-01-14")
    assert len(lines) == 5 and lines["revenue"].sum() == pytest.approx(65.0)  # order 4 dropped
    daily = demand.daily_demand(lines)
    weekly = demand.aggregate(daily, freq="W", by="category", start="2024-01-01",
                              end="2024-01-14")
    got = weekly.set_index(["period", "category"])
    wk1, wk2 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")
    assert got.loc[(wk1, "X"), ["revenue", "orders", "units"]].tolist() == [30.0, 2, 3.0]
    assert got.loc[(wk1, "Y"), ["revenue", "orders", "units"]].tolist() == [10.0, 1, 1.0]
    assert got.loc[(wk2, "X"), ["revenue", "orders"]].tolist() == [0.0, 0]  # grid filled
    assert got.loc[(wk2, "Y"), ["revenue", "orders", "units"]].tolist() == [25.0, 1, 4.0]
    assert weekly["complete"].all()
    total = demand.aggregate(daily, freq="W", start="2024-01-01", end="2024-01-10")
    assert total["orders"].tolist() == [2, 1] and total["complete"].tolist() == [True, False]


def test_orders_only_is_demand_overall(tiny):
    orders, _, _ = tiny
    lines = demand.demand_lines(orders)
    assert (lines["category"] == demand.ALL).all() and len(lines) == 3  # guest kept
    monthly = demand.aggregate(demand.daily_demand(lines), freq="M")
    assert monthly["revenue"].tolist() == [65.0] and monthly["units"].isna().all()


def test_week_starts_on_monday():
    dates = pd.Series(pd.to_datetime(["2024-01-07 23:59", "2024-01-08 00:00",
                                      "2024-02-29 00:00"]))
    assert list(demand.period_start(dates, "W")) == list(
        np.array(["2024-01-01", "2024-01-08", "2024-02-26"], dtype="datetime64[D]"))
    assert str(demand.period_start(dates, "M")[2]) == "2024-02-01"


def test_growth_previous_and_year_before():
    periods = pd.date_range("2023-01-01", periods=14, freq="MS")
    table = pd.DataFrame({"period": periods, "revenue": np.arange(1.0, 15.0), "orders": 1,
                          "units": 1.0, "complete": True})
    g = demand.growth(table, freq="M")
    last = g.iloc[-1]
    assert last["value"] == 14 and last["previous"] == 13 and last["year_ago"] == 2
    assert last["vs_previous"] == pytest.approx(14 / 13 - 1)
    assert last["vs_year_ago"] == pytest.approx(6.0)
    assert np.isnan(g.iloc[5]["vs_year_ago"])


def test_top_movers_against_the_year_before():
    periods = pd.date_range("2023-01-02", periods=60, freq="7D")
    up = np.r_[np.ones(47), np.full(13, 3.0)]
    table = pd.DataFrame({"period": np.tile(periods, 2), "product_id": np.repeat(["u", "d"], 60),
                          "revenue": np.r_[up, 4 - up], "orders": 1, "units": 1.0,
                          "complete": True})
    m = demand.top_movers(table, by="product_id", window=4, n=1)
    assert m["product_id"].tolist() == ["u", "d"]
    assert m["before"].tolist() == [4.0, 12.0] and m["after"].tolist() == [12.0, 4.0]
    assert m["compared_with"].iloc[0] == "same weeks a year before"


def test_pairs_support_confidence_lift_by_hand():
    # 5 orders: {a,b}, {a,b}, {a,c}, {b}, {c}  -> N=5, n_a=3, n_b=3, n_c=2, n_ab=2, n_ac=1
    lines = pd.DataFrame({"order_id": ["1", "1", "2", "2", "3", "3", "4", "5", "1"],
                          "product_id": ["a", "b", "a", "b", "a", "c", "b", "c", "a"]})
    pairs = demand.item_pairs(lines, min_count=1, min_support=0.0).set_index(
        ["item_a", "item_b"])
    ab = pairs.loc[("a", "b")]
    assert ab["together"] == 2 and ab["support"] == pytest.approx(2 / 5)
    assert ab["confidence_a_b"] == pytest.approx(2 / 3)
    assert ab["lift"] == pytest.approx((2 / 5) / ((3 / 5) * (3 / 5)))
    ac = pairs.loc[("a", "c")]
    assert ac["confidence_b_a"] == pytest.approx(1 / 2)
    assert ac["lift"] == pytest.approx((1 / 5) / ((3 / 5) * (2 / 5)))
    assert ("b", "c") not in pairs.index  # never together
    X, items = demand.basket_matrix(lines)
    assert list(items) == ["a", "b", "c"]
    assert X.shape == (5, 3) and X.max() == 1  # the repeated "a" in order 1 counts once


def test_mase_and_the_simple_rules_on_a_toy_series():
    history = np.array([1.0, 2, 3, 1, 2, 3, 1, 2, 4])
    # in-sample errors of the rule three steps back |y_t - y_{t-3}|: 0,0,0,0,0,1 -> scale 1/6
    assert demand.mase_scale(history, 3) == pytest.approx(1 / 6)
    assert demand.mase([2.0, 2.0], [1.0, 3.0], history, 3) == pytest.approx(6.0)
    assert demand.baseline_lag(103) == 1 and demand.baseline_lag(104) == 52
    weeks = pd.Series(np.arange(60.0), index=pd.date_range("2024-01-01", periods=60, freq="7D"))
    rules = {name: demand.METHODS[name].make(None).fit(weeks).predict(3)
             for name in ("naive", "seasonal_naive", "moving_average")}
    assert rules["naive"].tolist() == [59.0] * 3
    assert rules["seasonal_naive"].tolist() == [8.0, 9.0, 10.0]  # 52 weeks before each week
    assert rules["moving_average"].tolist() == [55.5] * 3  # mean of weeks 52..59


def _errors(series, method, origin, abs_errors, scale=1.0):
    n = len(abs_errors)
    return pd.DataFrame({"series": series, "method": method, "origin": pd.Timestamp(origin),
                         "period": pd.date_range(origin, periods=n, freq="7D"),
                         "step": np.arange(1, n + 1), "actual": 0.0, "forecast": abs_errors,
                         "abs_error": abs_errors, "scale": scale,
                         "scaled_error": np.asarray(abs_errors) / scale, "lag": 1})


def test_a_model_is_chosen_only_where_it_beats_every_rule():
    errors = pd.concat([
        _errors("a", "naive", "2024-01-01", [2.0, 2.0]),
        _errors("a", "moving_average", "2024-01-01", [1.0, 1.0]),
        _errors("a", "harmonic", "2024-01-01", [1.0, 1.0]),   # ties with the rule: rule wins
        _errors("b", "naive", "2024-01-01", [2.0, 2.0]),
        _errors("b", "theta", "2024-01-01", [0.5, 1.5]),      # same mean as...
        _errors("b", "harmonic", "2024-01-01", [0.5, 0.5]),   # ...worse than this model
    ], ignore_index=True)
    bt = demand.selection.summarise(errors)
    assert bt.choice.loc["a", "method"] == "moving_average"
    assert bt.choice.loc["b", "method"] == "harmonic"
    assert bt.choice.loc["b", "rule_method"] == "naive" and bt.choice.loc["b", "rule_mase"] == 2
    assert bt.overall["model_series"] == 1
    assert bt.overall["mase"] == pytest.approx((1 + 1 + 0.5 + 0.5) / 4)
    assert bt.overall["rule_mase"] == pytest.approx((1 + 1 + 2 + 2) / 4)


def test_ranges_are_calibrated_on_other_origins_errors():
    errors = pd.concat([_errors("a", "naive", f"2024-0{m}-01", e) for m, e in
                        ((1, [1.0, 2.0, 3.0, 4.0]), (2, [1.0, 1.0, 1.0, 1.0]),
                         (3, [5.0, 5.0, 5.0, 5.0]))], ignore_index=True)
    # 80 % half-width of n errors: the ceil((n + 1) * 0.8)-th smallest
    assert demand.selection._conformal(np.array([1.0, 2.0, 3.0, 4.0]), 0.8) == 4.0
    assert demand.selection._conformal(np.arange(1.0, 11.0), 0.8) == 9.0
    # origin 1 with 2+3: width 5 holds 4 of 4; origin 2 with 1+3: width 5 holds 4;
    # origin 3 with 1+2: width 4 (the 8th of 8) misses all 4
    bt = demand.selection.summarise(errors)
    assert bt.choice.loc["a", "coverage_80"] == pytest.approx(8 / 12)
    weeks = pd.DataFrame({"a": np.full(30, 10.0)},
                         index=pd.date_range("2024-01-01", periods=30, freq="7D"))
    fc = demand.forecast(weeks, 2, bt)
    assert fc["forecast"].tolist() == [10.0, 10.0] and fc["method"].eq("naive").all()
    assert fc["upper_80"].tolist() == [15.0, 15.0] and fc["lower_80"].tolist() == [5.0, 5.0]
    assert (fc["lower_95"] >= 0).all()


def test_stl_strength_pure_season_and_pure_noise():
    index = pd.date_range("2021-01-04", periods=156, freq="7D")
    season = 100 + 30 * np.sin(2 * np.pi * np.arange(156) / 52)
    rng = np.random.default_rng(1)
    pure = demand.decompose(pd.Series(season, index=index), log=False)
    assert pure.seasonal_strength > 0.97
    # pure noise: ~0 given many years; with few years the season is the mean of few values of
    # noise, so F_season has a floor of about 1 / years (documented in decompose)
    long_index = pd.date_range("2001-01-01", periods=52 * 20, freq="7D")
    noise = demand.decompose(pd.Series(100 + rng.normal(0, 5, len(long_index)),
                                       index=long_index), log=False)
    assert noise.seasonal_strength < 0.2 and noise.trend_strength < 0.2
    assert demand.strength(np.zeros(5), np.ones(5) * np.arange(5)) == 0.0


def test_weekday_profile_recovers_a_weekly_pattern():
    days = pd.date_range("2024-01-01", periods=7 * 20, freq="D")
    factor = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.4, 0.6])[days.day_of_week]
    prof = demand.weekday_profile(pd.Series(100 * factor, index=days)).set_index(
        "weekday")["index"]
    assert prof["Saturday"] == pytest.approx(1.4) and prof["Sunday"] == pytest.approx(0.6)


def test_forecaster_follows_trend_and_season_with_intervals():
    index = pd.date_range("2021-01-04", periods=156, freq="7D")
    t = np.arange(156)
    rng = np.random.default_rng(3)
    y = np.exp(np.log(1000) + 0.01 * t + 0.2 * np.sin(2 * np.pi * t / 52.18)
               + rng.normal(0, 0.05, 156))
    series = pd.Series(y, index=index)
    fc = demand.HarmonicForecaster().fit(series.iloc[:-12]).predict(12)
    assert (fc["lower_95"] <= fc["lower_80"]).all() and (fc["lower_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["upper_80"]).all() and (fc["upper_80"] <= fc["upper_95"]).all()
    assert np.mean(np.abs(fc["forecast"].to_numpy() / y[-12:] - 1)) < 0.08
    bt = demand.backtest(series.to_frame("s"), 12, 4)
    scores = bt.scores.set_index("method")["mase"]
    assert scores["harmonic"] < scores[["naive", "seasonal_naive", "moving_average"]].min()
    assert bt.choice.loc["s", "method"] in {"harmonic", "theta"}


def test_category_shares_and_index():
    lines = pd.DataFrame({"customer_id": ["A", "A", "B", None],
                          "category": ["X", "Y", "X", "Y"], "revenue": [30.0, 10.0, 20.0, 40.0]})
    groups = pd.DataFrame({"customer_id": ["A", "B"], "region": ["N", "S"]})
    s = demand.category_shares(lines, groups, by="region").set_index(["group", "category"])
    assert s.loc[("N", "X"), "share"] == pytest.approx(0.75)
    assert s.loc[("S", "X"), "share"] == pytest.approx(1.0)
    assert s.loc[("N", "X"), "index"] == pytest.approx(0.75 / 0.5)  # overall X share 50/100


def test_skipped_sections_name_missing_tables():
    notes = demand.skipped_sections({"orders"})
    assert any("no order items table" in n for n in notes)  # in words (issue 18)
    assert any("no service tickets table" in n for n in notes)


@pytest.fixture(scope="module")
def synthetic_tables():
    data = generate(SyntheticConfig(n_customers=4_000, seed=7))
    return {k: v for k, v in data.clean.items()
            if k in {"orders", "order_items", "products", "customers", "service_tickets"}}


def test_forecast_beats_seasonal_naive_on_the_synthetic_set(synthetic_tables):
    result = demand.analyse(synthetic_tables, as_of="2025-12-31")
    o = result.backtest.overall
    assert o["lag"] == 52 and o["origins"] == 4
    assert o["mase"] < 1 and o["mase"] < o["rule_mase"]
    assert 0.6 <= o["coverage_80"] <= 0.97 and o["coverage_95"] >= 0.85
    total = demand.headline_check(result)
    assert total["method"] == "harmonic" and total["mase"] < total["rule_mase"]
    assert demand.verdict(result).level == "reliable"  # MASE 0.32 on the total
    assert len(result.categories) == 8 and result.decomposition.seasonal_strength > 0.4
    dec = result.decomposition.yearly_profile().set_index("month")["effect"]
    assert dec[["Nov", "Dec"]].min() > 0.05 and dec["Jul"] < 0  # Q4 peak, summer dip
    findings = demand.key_findings(result)
    assert any("beat every simple rule" in f for f in findings)
    assert not any("@" in f for f in findings)


def test_orders_only_analysis_runs_and_skips(synthetic_tables):
    result = demand.analyse({"orders": synthetic_tables["orders"]}, as_of="2025-12-31")
    assert result.by is None and result.pairs is None and result.movers is None
    assert result.backtest.overall["mase"] < 1
    assert any("order items" in s for s in result.skipped)


def test_a_single_product_shop_has_one_category_and_no_pairs(synthetic_tables):
    """A one-product shop (the `single_product` export shape): the by-category views hold
    one category with all revenue, no product pair exists, the forecast still runs, and the
    findings compare no category with itself ("fastest growing: X; slowest: X")."""
    products = synthetic_tables["products"]
    only = products["product_id"].iloc[0]
    items = synthetic_tables["order_items"].assign(product_id=only)
    tables = {**synthetic_tables, "order_items": items, "products": products.iloc[:1]}
    result = demand.analyse(tables, as_of="2025-12-31")
    assert len(result.categories) == 1
    total = result.weekly.groupby("category", observed=True)["revenue"].sum()
    assert len(total) == 1 and total.iloc[0] == pytest.approx(
        result.weekly_total["revenue"].sum())
    assert result.pairs is None or result.pairs.empty
    assert result.backtest is not None and not result.forecast.empty
    findings = " ".join(demand.key_findings(result))
    assert "units in 1 category)" in findings
    assert "slowest" not in findings and "Per category" not in findings


def test_findings_say_what_holds_for_a_short_history_shop_closed_on_saturdays():
    """Issue 18's words: a closed weekday is not 'the quietest, -100%'; a month without a year
    before says so instead of 'n/a'; products without categories say why demand is overall; a
    rule forecast on one year of history warns that a peak week is carried forward."""
    rng = np.random.default_rng(4)
    days = pd.date_range("2025-01-01", "2025-11-30", freq="D")
    days = days[days.day_of_week != 5]  # closed on Saturdays
    n = rng.poisson(30, len(days))
    stamps = np.repeat(days.to_numpy(), n) + pd.to_timedelta(
        rng.integers(9, 18, n.sum()), unit="h").to_numpy()
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(stamps))],
                           "customer_id": rng.integers(0, 500, len(stamps)).astype(str),
                           "order_date": stamps, "amount": rng.gamma(2, 20, len(stamps))})
    items = pd.DataFrame({"order_id": orders["order_id"], "product_id": "p1", "quantity": 1.0,
                          "unit_price": orders["amount"]})
    products = pd.DataFrame({"product_id": ["p1"], "name": ["thing"]})
    result = demand.analyse({"orders": orders, "order_items": items, "products": products},
                            as_of="2025-11-30", forecast_weeks=8, backtest_origins=2)
    text = " ".join(demand.key_findings(result))
    assert "Saturday (-100%)" not in text and "nothing is sold on Saturdays" in text
    assert "n/a" not in text and "no month a year before to compare with" in text
    assert "the products table has no category column" in text
    if "last week&#x27;s value" in text or "last week's value" in text:
        assert "carries the last complete week forward" in text
