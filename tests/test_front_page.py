"""The run's front page (issue 18): key numbers with comparisons and trend, actions linked to the
published lists, a reliability light per analysis, the chart, the pages in reading order, and
the run's details folded away. Built from manifests only; every value escaped."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from crm_analysis.io import load_raw
from crm_analysis.reports.front import READING_ORDER
from crm_analysis.reports.history import earlier_runs, series, sparkline
from crm_analysis.reports.index import index_html
from crm_analysis.reports.published_lists import PEOPLE_LISTS, publish_lists
from crm_analysis.reports.trend_chart import trend_chart


def _m(value, label, fmt=None, reason=None, note=None):
    return {"value": value, "label": label, "fmt": fmt, "reason": reason, "note": note}


def _manifest(run_id: str = "r2", *, day: str = "2025-12-31", revenue: float = 120_000.0,
              name: str = "shop export", currency: str | None = "EUR") -> dict:
    nbs = {
        "01_data_cleaning": {"snapshot_date": _m(day, "Snapshot date"),
                             "data_set": _m(name, "Data set"),
                             "currency": _m(currency, "Currency", reason="none named"),
                             "orders_clean": _m(900, "Orders after cleaning", ",d"),
                             "orders_raw": _m(1000, "Order rows", ",d"),
                             "rows_changed": _m(12, "Values repaired", ",d")},
        "02_demand_analysis": {
            "revenue_last_52_weeks": _m(revenue, "Revenue, last 52 weeks", ",.0f"),
            "revenue_vs_year_before": _m(0.125, "Revenue against the 52 before", "+.1%"),
            "forecast_revenue_next_weeks": _m(30_000.0, "Revenue forecast, next 12 weeks",
                                              ",.0f"),
            "forecast_revenue_lo": _m(25_000.0, "low", ",.0f"),
            "forecast_revenue_hi": _m(35_000.0, "high", ",.0f"),
            "demand_forecast_method": _m("last week's value", "Forecast method"),
            "demand_forecast_verdict": _m("use with care", "Demand forecast reliability",
                                          note="the forecast missed by 1.3 times the naive "
                                               "rule's error")},
        "03_customer_value": {"repeat_rate": _m(0.4, "Customers who bought more than once",
                                                ".0%"),
                              "customers": _m(500, "Customers", ",d"),
                              "top10_revenue_share": _m(0.5, "Top 10%", ".1%"),
                              "win_back_customers": _m(40, "win-back", ",d"),
                              "win_back_revenue": _m(8_000.0, "their revenue", ",.0f"),
                              "value_verdict": _m("reliable", "Customer value reliability",
                                                  note="BG/NBD missed by +2%")},
        "05_churn_prediction": {"active_customers": _m(300, "Active customers", ",d"),
                                "churn_value_at_risk_total": _m(9_000.0, "Value at risk",
                                                                ",.0f"),
                                "churn_high_risk_customers": _m(60, "high risk", ",d"),
                                "churn_high_risk_value": _m(4_000.0, "their value", ",.0f"),
                                "churn_verdict": _m("not reliable on this data", "Churn",
                                                    note="ROC-AUC 0.55")},
    }
    notebooks = [{"name": n, "title": n.split("_", 1)[1].replace("_", " ").capitalize(),
                  "status": "ok", "html": f"{n}.html", "metrics": m} for n, m in nbs.items()]
    notebooks.append({"name": "06_customer_potential", "title": "Potential", "status": "failed",
                      "html": "06_customer_potential.html", "metrics": {},
                      "error": {"type": "ValueError", "message": "The analysis stopped at "
                                "step 3 with an error"}})
    return {"run_id": run_id, "status": "failed", "started": "s", "finished": f"{day}T10:00",
            "data_dir": "/data/shop", "data": {"files": 1, "sha256": "ab"}, "versions": {},
            "git": {}, "settings": {}, "parameters": {}, "notebooks": notebooks}


def test_front_page_says_what_matters_first_and_folds_the_run_log_away():
    before = _manifest("r1", day="2025-09-30", revenue=100_000.0)
    page = index_html(_manifest(), earlier=[before],
                      lists={"churn_call_list.csv": "lists/churn_call_list.csv",
                             "win_back_list.csv": "lists/win_back_list.csv"})
    head, details = page.split('<details class="run">', 1)
    assert "<h1>shop export as of 2025-12-31</h1>" in head and "Amounts in EUR." in head
    # tiles: money with the currency, the comparison, the change since the last run, a trend
    assert "EUR 120,000" in head and "+12.5% on the 52 weeks before" in head
    assert "+20% since the run of 2025-09-30" in head and head.count('<svg class="spark"') >= 1
    assert "80% weekly ranges added up: 25,000 to 35,000" in head
    assert "by last week&#x27;s value: use with care" in head  # the forecast tile's trust
    # actions link to their lists; the target list was not published, so no third action
    assert ('Call the 60 customers at high churn risk first: they hold EUR 4,000 of value at '
            'risk. <a href="lists/churn_call_list.csv">') in head
    assert "Win back the 40 At Risk and Can&#x27;t Lose customers" in head
    assert "target list" not in head
    # lights, with their reasons
    assert re.search(r'class="light amber".*Demand forecast</strong>: use with care', head)
    assert re.search(r'class="light red".*Churn ranking</strong>: not reliable', head)
    assert "ROC-AUC 0.55" in head
    assert "Future value</strong>: not produced in this run" in head
    # pages in reading order, the failed one in words; the run's numbers only in the details
    order = [head.index(f'href="{n}.html"') for n in READING_ORDER if f'href="{n}.html"' in head]
    assert order == sorted(order) and len(order) == 5
    assert "Not finished: The analysis stopped at step 3" in head
    assert "1 of 5 reports did not finish" in head
    assert "BG/NBD missed by +2%" in head and "Parameters" not in head
    assert "Parameters" in details and "run.json" in details


def test_front_page_without_currency_or_history_and_with_hostile_names():
    manifest = _manifest(name='<img src=x onerror="alert(1)">', currency=None)
    page = index_html(manifest)
    assert "Amounts in the export&#x27;s currency." in page and "EUR" not in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "since the run of" not in page and '<svg class="spark"' not in page
    assert "No list to act on came out of this run." in page


def test_a_log_without_amounts_is_said_once_and_its_tiles_count_orders():
    manifest = _manifest()
    demand = manifest["notebooks"][1]["metrics"]
    for name in ("revenue_last_52_weeks", "revenue_vs_year_before"):
        del demand[name]
    demand["orders_last_52_weeks"] = _m(None, "Orders, last 52 weeks", ",.0f",
                                        reason="the history is shorter than 52 weeks")
    page = index_html(manifest)
    assert "The orders carry no amounts: the numbers count orders and customers." in page
    assert "Orders, last 52 weeks" in page and "the history is shorter than 52 weeks" in page
    assert "Amounts in" not in page


def test_history_reads_successful_runs_of_the_same_data_only(tmp_path):
    import json

    for run_id, status, data_dir, day in (("a", "ok", "/data/shop", "2025-06-30"),
                                          ("b", "failed", "/data/shop", "2025-07-31"),
                                          ("c", "ok", "/data/other", "2025-08-31"),
                                          ("d", "ok", "/data/shop", "2025-09-30"),
                                          ("e", "ok", "/data/shop", "2025-12-31")):
        manifest = _manifest(run_id, day=day)
        manifest.update(status=status, data_dir=data_dir)
        (tmp_path / run_id).mkdir()
        (tmp_path / run_id / "run.json").write_text(json.dumps(manifest))
    runs = earlier_runs(tmp_path, "/data/shop", "e")
    assert [m["run_id"] for m in runs] == ["a", "d"]
    points = series(runs, "02_demand_analysis", "revenue_last_52_weeks")
    assert points == [("2025-06-30", 120_000.0), ("2025-09-30", 120_000.0)]
    assert sparkline(points[:1]) == ""
    assert "2025-06-30 to 2025-09-30, 2 runs" in sparkline(points)


def test_lists_are_published_with_the_run(tmp_path):
    processed, run = tmp_path / "processed", tmp_path / "run"
    processed.mkdir()
    run.mkdir()
    for name in PEOPLE_LISTS[:2]:
        (processed / name).write_text("customer\nA1\n", encoding="utf-8-sig")
    (processed / "churn_crm_export.csv").write_text("x\n")
    assert publish_lists(processed, run) == {n: f"lists/{n}" for n in PEOPLE_LISTS[:2]}
    assert sorted(p.name for p in (run / "lists").iterdir()) == sorted(PEOPLE_LISTS[:2])
    assert publish_lists(tmp_path / "nothing", run) == {}
    # a partial run of the churn report publishes its own list only, not the copied win-back one
    assert publish_lists(processed, tmp_path, {"05_churn_prediction"}) == {
        "churn_call_list.csv": "lists/churn_call_list.csv"}


def test_trend_chart_embeds_the_history_and_the_forecast(tmp_path):
    weeks = pd.date_range("2024-01-01", periods=100, freq="W-MON")
    rng = np.random.default_rng(1)
    pd.DataFrame({"period": np.repeat(weeks, 2), "category": ["a", "b"] * 100,
                  "revenue": rng.gamma(5, 100, 200), "orders": 10, "units": 20,
                  "complete": True}).to_parquet(tmp_path / "demand_weekly.parquet")
    ahead = pd.date_range(weeks[-1] + pd.Timedelta(weeks=1), periods=12, freq="W-MON")
    pd.DataFrame({"series": "All categories", "method": "theta", "period": ahead,
                  "step": range(1, 13), "forecast": 1000.0, "lower_80": 0.0,
                  "upper_80": 1e7, "lower_95": 0.0, "upper_95": 2e7}).to_parquet(
        tmp_path / "demand_forecast.parquet")
    img = trend_chart(tmp_path, currency="EUR")
    assert img.startswith('<img class="trend" src="data:image/png;base64,')
    assert "the last 78 complete weeks and the forecast of the next 12" in img
    assert trend_chart(tmp_path / "missing") == ""
    pd.DataFrame().to_parquet(tmp_path / "demand_forecast.parquet")  # no forecast was checked
    assert "and the forecast" not in trend_chart(tmp_path)


def test_a_data_set_is_named_by_its_folder_file_or_mapping(tmp_path):
    root = tmp_path / "my_shop" / "raw"
    root.mkdir(parents=True)
    pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-01"], "amount": [1.0]}).to_csv(
        root / "orders.csv", index=False)
    assert load_raw(root).name == "my_shop"
    assert load_raw(root / "orders.csv").name == "orders.csv"
    assert load_raw(root, mapping={"source_name": "ERP export"}).name == "ERP export"


def test_the_currency_parameter_is_an_iso_code():
    from crm_analysis.money import currency_code

    assert currency_code(" gbp ") == "GBP" and currency_code(None) is None
    assert currency_code("") is None
    for wrong in ("€", "EURO", "E1R"):
        with pytest.raises(ValueError, match="three-letter ISO 4217 code"):
            currency_code(wrong)
