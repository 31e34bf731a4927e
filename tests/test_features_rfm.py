"""Tests of crm_analysis.features.rfm: hand examples, CDNOW figures, properties, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_analysis.features import calibration_holdout, rfm_summary

CDNOW = Path(__file__).parent / "data" / "CDNOW_sample.txt"


def read_cdnow() -> pd.DataFrame:
    raw = pd.read_csv(CDNOW, sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"])
    return raw.assign(order_date=pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"))


def tx(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"]).assign(
        order_date=lambda d: pd.to_datetime(d["order_date"], format="mixed"))


# ---------------------------------------------------------------------------------------------
# hand examples
# ---------------------------------------------------------------------------------------------
def test_hand_example_days() -> None:
    data = tx([
        ("a", "2024-01-01 09:00", 10.0),
        ("a", "2024-01-01 17:00", 5.0),   # same day: merged with the first purchase
        ("a", "2024-01-04", 20.0),
        ("a", "2024-01-04", 4.0),        # same day: summed -> 24
        ("a", "2024-01-11", 6.0),
        ("b", "2024-01-05", 7.0),
        ("c", "2024-01-20", 3.0),        # after observation_end: left out
        (None, "2024-01-02", 99.0),      # missing customer id: ignored
    ])
    out = rfm_summary(data, as_of="2024-01-15")
    assert list(out.index) == ["a", "b"]
    assert out.index.name == "customer_id"
    assert out.loc["a", "frequency"] == 2
    assert out.loc["a", "recency"] == 10.0
    assert out.loc["a", "T"] == 14.0
    assert out.loc["a", "monetary_value"] == pytest.approx((24.0 + 6.0) / 2)
    assert out.loc["b"].tolist() == [0, 0.0, 10.0, 0.0]
    assert out["frequency"].dtype == np.int64


def test_default_observation_end_is_last_transaction_and_weeks() -> None:
    data = tx([("a", "2024-01-01", 1.0), ("a", "2024-01-15", 2.0), ("b", "2024-01-08", 3.0)])
    days = rfm_summary(data)
    weeks = rfm_summary(data, time_scaler=7)
    assert days.loc["a", "T"] == 14.0 and days.loc["b", "T"] == 7.0
    assert weeks.loc["a", "T"] == 2.0 and weeks.loc["a", "recency"] == 2.0
    assert weeks.loc["b", "T"] == 1.0


def test_transactions_after_observation_end_ignored_within_day_included() -> None:
    data = tx([("a", "2024-01-01", 1.0), ("a", "2024-01-10 23:59", 2.0), ("a", "2024-01-11", 4.0)])
    out = rfm_summary(data, as_of="2024-01-10")
    assert out.loc["a", "frequency"] == 1  # the whole end day counts, the next day does not
    assert out.loc["a", "monetary_value"] == 2.0


def test_monetary_col_none_and_custom_columns() -> None:
    data = tx([("a", "2024-01-01", 1.0), ("a", "2024-01-03", 2.0)]).rename(
        columns={"customer_id": "cid", "order_date": "ts"})
    out = rfm_summary(data, customer_col="cid", datetime_col="ts", monetary_col=None)
    assert list(out.columns) == ["frequency", "recency", "T"]
    assert out.index.name == "cid"


def test_hours_time_unit_and_timezone_aware_dates() -> None:
    data = tx([("a", "2024-01-01 01:30", 1.0), ("a", "2024-01-01 05:10", 2.0)])
    hours = rfm_summary(data, time_unit="h")
    assert hours.loc["a", "recency"] == 4.0
    aware = data.assign(order_date=data["order_date"].dt.tz_localize("Europe/Berlin"))
    pd.testing.assert_frame_equal(rfm_summary(aware, time_unit="h"), hours)


def test_empty_after_filter_and_all_missing_ids() -> None:
    data = tx([(None, "2024-01-01", 1.0)])
    assert rfm_summary(data).empty
    data = tx([("a", "2024-02-01", 1.0)])
    assert rfm_summary(data, as_of="2024-01-01").empty


@pytest.mark.parametrize(
    ("kwargs", "frame", "message"),
    [
        ({}, pd.DataFrame({"customer_id": [1]}), "lack column"),
        ({"time_scaler": 0}, None, "time_scaler"),
        ({"time_unit": "fortnight"}, None, "time_unit"),
    ],
)
def test_rfm_errors(kwargs: dict, frame: pd.DataFrame | None, message: str) -> None:
    data = frame if frame is not None else tx([("a", "2024-01-01", 1.0)])
    with pytest.raises(ValueError, match=message):
        rfm_summary(data, **kwargs)


def test_missing_dates_and_amounts_are_reported() -> None:
    data = tx([("a", "2024-01-01", 1.0), ("a", None, 2.0)])
    with pytest.raises(ValueError, match="missing date"):
        rfm_summary(data)
    data = tx([("a", "2024-01-01", 1.0), ("a", "2024-01-02", np.nan)])
    with pytest.raises(ValueError, match="missing or infinite amount"):
        rfm_summary(data)


# ---------------------------------------------------------------------------------------------
# CDNOW
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return read_cdnow()


def test_cdnow_calibration_summary(cdnow: pd.DataFrame) -> None:
    cal = rfm_summary(cdnow, as_of="1997-09-30", time_scaler=7)
    assert len(cal) == 2357
    assert cal["frequency"].sum() == 2457
    assert (cal["frequency"] > 0).sum() == 946
    assert cal["T"].max() == pytest.approx(38.86, abs=0.01)  # first purchase 1997-01-01


def test_cdnow_calibration_holdout_totals_match_direct_count(cdnow: pd.DataFrame) -> None:
    out = calibration_holdout(cdnow, calibration_end="1997-09-30", as_of="1998-06-30",
                              time_scaler=7)
    cal = rfm_summary(cdnow, as_of="1997-09-30", time_scaler=7)
    pd.testing.assert_frame_equal(out[cal.columns], cal)
    hold = cdnow[(cdnow.order_date > "1997-09-30") & (cdnow.order_date <= "1998-06-30")]
    direct_days = hold.groupby("customer_id")["order_date"].nunique()
    assert out["frequency_holdout"].sum() == direct_days.sum()
    pd.testing.assert_series_equal(
        out["frequency_holdout"][direct_days.index], direct_days, check_names=False)
    assert (out["frequency_holdout"] == 0).sum() == 2357 - len(direct_days)
    direct_spend = hold.groupby("customer_id")["amount"].sum() / direct_days
    np.testing.assert_allclose(out.loc[direct_spend.index, "monetary_value_holdout"],
                               direct_spend, rtol=1e-12)
    assert (out["duration_holdout"] == 273 / 7).all()


def test_calibration_holdout_excludes_new_customers_and_checks_dates() -> None:
    data = tx([("a", "2024-01-01", 1.0), ("a", "2024-02-01", 2.0), ("b", "2024-02-02", 5.0)])
    out = calibration_holdout(data, calibration_end="2024-01-15", as_of="2024-03-01")
    assert list(out.index) == ["a"]
    assert out.loc["a", "frequency_holdout"] == 1
    assert out.loc["a", "monetary_value_holdout"] == 2.0
    with pytest.raises(ValueError, match="later"):
        calibration_holdout(data, calibration_end="2024-01-15", as_of="2024-01-15")


# ---------------------------------------------------------------------------------------------
# properties against a plain per-customer reference
# ---------------------------------------------------------------------------------------------
def reference_summary(data: pd.DataFrame, end: pd.Timestamp, scaler: float) -> pd.DataFrame:
    rows = {}
    kept = data[data["order_date"].dt.normalize() <= end.normalize()]
    for cid, group in kept.groupby("customer_id"):
        per_day = group.groupby(group["order_date"].dt.normalize())["amount"].sum().sort_index()
        days = per_day.index
        first, last = days[0], days[-1]
        freq = len(days) - 1
        rows[cid] = {
            "frequency": freq,
            "recency": (last - first).days / scaler,
            "T": (end.normalize() - first).days / scaler,
            "monetary_value": per_day.iloc[1:].mean() if freq else 0.0,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


transactions_strategy = st.lists(
    st.tuples(
        st.integers(0, 6),                       # customer
        st.integers(0, 60 * 24 * 3),             # minutes since start (~60 days of hours)
        st.floats(0.0, 500.0, allow_nan=False),  # amount
    ),
    min_size=1,
    max_size=60,
)


def frame_from(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [r[0] for r in rows],
        "order_date": pd.Timestamp("2024-03-01") + pd.to_timedelta([r[1] * 20 for r in rows],
                                                                   unit="min"),
        "amount": [r[2] for r in rows],
    })


@settings(max_examples=60, deadline=None)
@given(rows=transactions_strategy, end_offset=st.integers(-20, 40),
       scaler=st.sampled_from([1.0, 7.0, 30.5]))
def test_matches_reference_and_properties(rows: list[tuple], end_offset: int,
                                          scaler: float) -> None:
    data = frame_from(rows)
    end = pd.Timestamp("2024-03-20") + pd.Timedelta(days=end_offset)
    out = rfm_summary(data, as_of=end, time_scaler=scaler)
    ref = reference_summary(data, end, scaler)
    assert sorted(out.index) == sorted(ref.index)
    if len(ref):
        ref = ref.loc[out.index]
        np.testing.assert_array_equal(out["frequency"], ref["frequency"])
        np.testing.assert_allclose(out[["recency", "T"]], ref[["recency", "T"]], rtol=1e-12)
        np.testing.assert_allclose(out["monetary_value"], ref["monetary_value"], rtol=1e-9,
                                   atol=1e-9)
    assert (out["recency"] <= out["T"]).all()
    assert (out["recency"] >= 0).all() and (out["monetary_value"] >= 0).all()
    assert ((out["frequency"] > 0) | (out["recency"] == 0)).all()
    # frequency <= distinct days - 1 (equal, in fact)
    kept = data[data["order_date"].dt.normalize() <= end]
    distinct = kept.assign(day=kept["order_date"].dt.normalize()).groupby("customer_id")[
        "day"].nunique()
    if len(out):
        assert (out["frequency"] <= distinct[out.index] - 1).all()


@settings(max_examples=40, deadline=None)
@given(rows=transactions_strategy, seed=st.integers(0, 2**32 - 1))
def test_row_order_invariance_and_time_scaling(rows: list[tuple], seed: int) -> None:
    data = frame_from(rows)
    shuffled = data.sample(frac=1.0, random_state=seed % (2**31))
    base = rfm_summary(data)
    pd.testing.assert_frame_equal(rfm_summary(shuffled), base, rtol=1e-12)
    weeks = rfm_summary(data, time_scaler=7.0)
    np.testing.assert_allclose(weeks[["recency", "T"]] * 7.0, base[["recency", "T"]], rtol=1e-12)
    np.testing.assert_array_equal(weeks["frequency"], base["frequency"])


@settings(max_examples=40, deadline=None)
@given(rows=transactions_strategy, cut=st.integers(1, 40), extra=st.integers(1, 40))
def test_calibration_holdout_counts(rows: list[tuple], cut: int, extra: int) -> None:
    data = frame_from(rows)
    cal_end = pd.Timestamp("2024-03-01") + pd.Timedelta(days=cut)
    obs_end = cal_end + pd.Timedelta(days=extra)
    out = calibration_holdout(data, calibration_end=cal_end, as_of=obs_end)
    day = data["order_date"].dt.normalize()
    hold = data[(day > cal_end) & (day <= obs_end) & data["customer_id"].isin(out.index)]
    direct = hold.assign(day=hold["order_date"].dt.normalize()).groupby("customer_id")[
        "day"].nunique()
    assert out["frequency_holdout"].sum() == direct.sum()
    assert (out["duration_holdout"] == extra).all()
    assert ((out["frequency_holdout"] > 0) | (out["monetary_value_holdout"] == 0)).all()
