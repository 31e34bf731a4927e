"""crm_analysis.profile: the shape of the data, measured on hand-built orders."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from crm_analysis import profile


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


def test_one_time_buyers_closed_cohort_dates_without_times_and_guests():
    # ten customers, all first seen in January; nine buy once, one buys again in June
    rows = [(f"c{i}", f"2024-01-{i + 1:02d}", 10.0) for i in range(10)]
    rows += [("c0", "2024-06-01", 20.0), (None, "2024-03-01", 5.0), (None, "2024-04-01", 5.0)]
    shape = profile.profile_data(_orders(rows), "2024-12-31", ["orders"])
    assert shape.customers == 10 and shape.one_time_share == pytest.approx(0.9)
    assert shape.mostly_one_time and shape.closed_cohort and not shape.has_time_of_day
    assert shape.guest_orders == 2 and shape.history_days == 366 and shape.weeks == 52
    text = " ".join(profile.notes(shape, "cleaning"))
    for words in ("10 customers** bought in the cleaned data", "13 orders, 2 of them without",
                  "90% of customers bought only once", "A closed cohort", "52 weeks of history",
                  "Dates without times", "15% of orders have no customer id"):
        assert words in text, words
    # each report states only what changes how its own results read
    assert not any("Dates without times" in n for n in profile.notes(shape, "churn"))
    back = profile.DataProfile.from_dict(json.loads(json.dumps(shape.to_dict())))
    assert back == shape


def test_an_ordinary_shape_needs_no_words_and_later_orders_are_ignored():
    # 36 customers, one arriving each month of 2022-2024, each buying again 10 and 20 days later
    first = pd.date_range("2022-01-01", periods=36, freq="MS") + pd.Timedelta(days=4, hours=10)
    rows = [(f"c{i}", day + pd.Timedelta(days=gap), 10.0)
            for i, day in enumerate(first) for gap in (0, 10, 20)]
    rows.append(("late", "2025-06-01 10:00", 10.0))  # after the snapshot
    shape = profile.profile_data(_orders(rows), "2024-12-31")
    assert shape.customers == 36 and shape.one_time_share == 0 and shape.has_time_of_day
    assert not shape.closed_cohort and shape.weeks >= profile.SEASON_WEEKS
    only = profile.notes(shape, "cleaning")  # the counts, nothing about the shape
    assert len(only) == 2 and "36 customers** bought" in only[0]
    # the currency, said once per page (issue 18): named, or the export's own
    assert profile.notes(shape, "demand") == [
        "Amounts are in the export's currency (neither the mapping nor the currency parameter "
        "names it)."]
    named = profile.profile_data(_orders(rows), "2024-12-31", currency="GBP")
    assert profile.notes(named, "value") == ["Amounts are in GBP."]
    visits = _orders(rows).assign(amount=float("nan"))
    assert profile.notes(profile.profile_data(visits, "2024-12-31"), "demand") == []
    assert profile.notes(None, "demand") == []
