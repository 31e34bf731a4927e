"""Logs without amounts (issue 17): orders with a customer id and a date only, such as visits,
bookings or app sessions. Every analysis that counts runs; everything in money is left out and
says so. The whole suite on such a log runs in tests/test_real_exports.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis import behaviour, churn, cleaning, demand, io, money, value
from crm_analysis.synthetic.presets import preset_tables


@pytest.fixture(scope="module")
def visits(tmp_path_factory) -> pd.DataFrame:
    """The visit-log preset, loaded and cleaned as notebook 01 does."""
    raw_dir = tmp_path_factory.mktemp("visits")
    preset_tables("visits_log", seed=5)["orders"].to_csv(raw_dir / "orders.csv", index=False)
    raw = io.load_raw(raw_dir)
    assert list(raw["orders"].columns) == ["customer_id", "order_date"]
    result = cleaning.clean(raw)
    assert money.NO_AMOUNTS in "".join(cleaning.key_findings(raw, result))
    assert not money.has_amounts(result.tables["orders"])
    return result.tables["orders"]


def _snapshot(orders: pd.DataFrame) -> pd.Timestamp:
    return orders["order_date"].max().normalize()


def test_demand_is_counted_in_orders(visits):
    result = demand.analyse({"orders": visits}, as_of=_snapshot(visits), forecast_weeks=8,
                            backtest_origins=2)
    assert result.measure == "orders"
    weekly = result.weekly_series()
    assert weekly.sum().sum() == pytest.approx(result.weekly_total["orders"][
        result.weekly_total["complete"]].sum())
    assert not result.forecast.empty and (result.forecast["forecast"] >= 0).all()
    text = " ".join(demand.key_findings(result))
    assert "worth" not in text and "in revenue" not in text
    assert "Orders in " in text and "demand is counted in orders" in text
    assert "orders" in demand.growth_table(result).columns
    names = [m["name"] for m in demand.headline_metrics(result, 8)]
    assert "forecast_orders_next_weeks" in names and "forecast_revenue_next_weeks" not in names


def test_value_segments_by_recency_and_frequency_and_ranks_by_expected_purchases(visits):
    result = value.analyse(visits, _snapshot(visits), holdout_weeks=26, seed=3)
    assert not result.has_amounts
    assert "revenue" not in result.segments.columns
    assert result.rfm["monetary_score"].isna().all()
    # the R x FM grid reads frequency in place of frequency and spend
    expected = value.rfm_segment(result.rfm["recency_score"], result.rfm["frequency_score"],
                                 result.rfm["frequency_score"])
    assert (result.rfm["segment"] == expected).all()
    assert "BG/NBD" in result.fits.transaction and result.fits.spend is None
    table = result.customer_value
    assert table["clv"].isna().all() and np.isfinite(table["expected_purchases"]).all()
    top = table.nlargest(len(table) // 10, "expected_purchases")
    assert (top["value_tier"] == "top 10%").mean() > 0.9  # tiers rank expected purchases
    assert "clv" not in value.tier_table(table).columns
    assert "clv" not in value.top_customers(table, 5).columns
    text = " ".join(value.key_findings(result))
    assert "There is no value in money" in text and "revenue" not in text
    metrics = {m["name"]: m for m in value.headline_metrics(result)}
    assert metrics["gini"]["reason"] == "the orders carry no amounts"


def test_behaviour_groups_and_cohorts_without_spend(visits):
    data = behaviour.prepare({"orders": visits}, as_of=_snapshot(visits))
    res = behaviour.analyse(data, n_bootstrap=20, max_clusters=4, seed=1)
    assert "total_spend" not in res.features and "average_order_value" not in res.features
    assert res.cohorts["revenue"].isna().all() and res.cohorts["retention"].notna().any()
    assert res.groups is not None and "total_spend" not in res.groups.features
    assert "revenue_share" not in res.profile
    assert not res.describe["measure"].isin(["total_spend", "average_order_value"]).any()
    assert all("spend" not in str(name) for name in res.profile["name"])


def test_churn_features_leave_out_spend(visits):
    inputs = churn.prepare_inputs(visits)
    assert not inputs.log.has_amounts and "spend" in inputs.notes
    assert len(inputs.log.day) == len(visits.assign(d=visits["order_date"].dt.normalize())
                                       .drop_duplicates(["customer_id", "d"]))
    frame = churn.churn_features(inputs, _snapshot(visits), horizon_days=56)
    assert len(frame) and not any("spend" in c or "order_value" in c for c in frame.columns)
    assert {"recency_days", "orders", "mean_gap_days"} <= set(frame.columns)
