"""Cleaning: the log counts equal the injected dirt, and the cleaned tables equal the truth."""

from __future__ import annotations

import pandas as pd
import pytest

from crm_analysis.cleaning import clean, infer_snapshot_date
from crm_analysis.cleaning.spelling import COUNTRY_ALIASES, canonical_spellings
from crm_analysis.io import load_raw
from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

KEYS = {
    "orders": ["order_id"],
    "order_items": ["order_id", "product_id"],
    "customers": ["customer_id"],
    "products": ["product_id"],
    "service_tickets": ["ticket_id"],
    "campaigns": ["campaign_id"],
    "campaign_contacts": ["campaign_id", "customer_id"],
}

# dirt kind in the generator's log -> (rule, table, what the rule's log entry counts)
DIRT_TO_RULE = {
    ("duplicate", "orders"): ("exact_duplicates", "orders", "rows_removed"),
    ("duplicate", "order_items"): ("exact_duplicates", "order_items", "rows_removed"),
    ("mixed_date_format", "orders"): ("date_formats", "orders", "rows_changed"),
    ("future_order", "orders"): ("after_snapshot", "orders", "rows_removed"),
    ("future_order", "order_items"): ("after_snapshot", "order_items", "rows_removed"),
    ("guest_order", "orders"): ("guest_orders", "orders", "rows_changed"),
    ("non_product_line", "order_items"): ("non_product_lines", "order_items", "rows_removed"),
    ("bad_price", "order_items"): ("invalid_prices", "order_items", "rows_removed"),
    ("orphan_item", "order_items"): ("orphan_items", "order_items", "rows_removed"),
    ("country_spelling", "customers"): ("spellings", "customers", "rows_changed"),
    ("category_spelling", "products"): ("spellings", "products", "rows_changed"),
    ("impossible_age", "customers"): ("impossible_ages", "customers", "rows_changed"),
}


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    data = generate(SyntheticConfig(n_customers=3_000, seed=11))
    folder = write_dataset(data, tmp_path_factory.mktemp("dirty") / "raw", fmt="csv")
    raw = load_raw(folder, "synthetic")
    return data, raw, clean(raw)


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_log_counts_equal_the_injected_dirt(dirty):
    data, _, result = dirty
    truth = data.truth["dirt_log"].groupby(["kind", "table"]).size()
    log = result.log.set_index(["rule", "table"])
    for (kind, table), n in truth.items():
        if kind == "orphan_cancellation":
            flagged = "unmatched_returns" if table == "orders" else "unmatched_return_items"
            assert len(result.flagged[flagged]) == n, (kind, table)
            continue
        rule, rule_table, column = DIRT_TO_RULE[(kind, table)]
        assert log.loc[(rule, rule_table), column] == n, (kind, table)
    assert set(truth.index.get_level_values("kind")) >= {k for k, _ in DIRT_TO_RULE}


def test_rules_do_nothing_where_no_dirt_was_injected(dirty):
    _, _, result = dirty
    log = result.log.set_index(["rule", "table"])
    for rule in ("key_duplicates", "trim_ids", "orphan_keys"):
        rows = log.loc[rule]
        assert (rows["rows_removed"] == 0).all() and (rows["rows_changed"] == 0).all(), rule


def test_cleaned_tables_equal_the_clean_truth(dirty):
    data, _, result = dirty
    for name, keys in KEYS.items():
        pd.testing.assert_frame_equal(
            _sorted(result.tables[name], keys),
            _sorted(data.clean[name], keys),
            check_dtype=False,
            rtol=1e-12,
            obj=name,
        )


def test_cleaning_is_deterministic_and_leaves_raw_data_alone(dirty):
    _, raw, result = dirty
    before = {name: raw[name].copy() for name in raw}
    again = clean(raw)
    for name in result.tables:
        pd.testing.assert_frame_equal(again.tables[name], result.tables[name])
    pd.testing.assert_frame_equal(again.log, result.log)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(raw[name], frame)


def test_clean_data_passes_through_unchanged():
    data = generate(SyntheticConfig(n_customers=800, seed=5, dirty=False))
    result = clean(data.tables)
    log = result.log
    assert log.query("rule != 'net_returns' and rule != 'recompute_amounts'")[
        ["rows_removed", "rows_changed"]
    ].sum().sum() == 0
    for name, keys in KEYS.items():
        pd.testing.assert_frame_equal(
            _sorted(result.tables[name], keys), _sorted(data.clean[name], keys),
            check_dtype=False, obj=name,
        )


def test_snapshot_date_removes_everything_after_it(dirty):
    _, raw, _ = dirty
    result = clean(raw, snapshot_date="2024-06-30")
    end = pd.Timestamp("2024-07-01")
    assert result.tables["orders"]["order_date"].max() < end
    assert result.tables["service_tickets"]["opened_at"].max() < end
    resolved = result.tables["service_tickets"]["resolved_at"].dropna()
    assert resolved.max() < end
    assert result.tables["customers"]["signup_date"].max() < end
    assert result.snapshot_date == pd.Timestamp("2024-06-30")


def test_inferred_snapshot_ignores_stray_future_dates():
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    busy = pd.Series(days.repeat(20))
    stray = pd.Series(pd.to_datetime(["2025-03-01", "2025-07-09", "2026-01-01"]))
    dates = pd.concat([busy, stray], ignore_index=True)
    assert infer_snapshot_date(dates, today=pd.Timestamp("2030-01-01")) == pd.Timestamp(
        "2024-12-31"
    )
    # and never after today
    assert infer_snapshot_date(dates, today=pd.Timestamp("2024-06-15")) == pd.Timestamp(
        "2024-06-15"
    )


def test_spellings_fold_case_whitespace_typos_and_aliases():
    values = pd.Series(
        ["Germany"] * 50 + ["germany ", "GERMANY", "Deutschland", "Germny"]
        + ["Austria"] * 30 + ["  Austria", "Österreich"]
        + ["Home & Kitchen"] * 20 + ["Home and Kitchen"] * 5
    )
    mapping = canonical_spellings(values, aliases=COUNTRY_ALIASES)
    assert {mapping[v] for v in ["germany ", "GERMANY", "Deutschland", "Germny"]} == {"Germany"}
    assert mapping["  Austria"] == mapping["Österreich"] == "Austria"
    assert mapping["Home and Kitchen"] == "Home & Kitchen"


def test_spellings_keep_distinct_values_of_similar_frequency():
    values = pd.Series(["Men"] * 40 + ["Women"] * 40 + ["Sport"] * 30 + ["Sports"] * 30)
    mapping = canonical_spellings(values)
    assert mapping == {"Men": "Men", "Women": "Women", "Sport": "Sport", "Sports": "Sports"}


def test_orders_only_returns_are_netted_by_amount():
    orders = pd.DataFrame(
        {
            "order_id": pd.array(["1", "2", "C1", "C9", "3"], dtype="string"),
            "customer_id": pd.array(["a", "b", "a", "b", "c"], dtype="string"),
            "order_date": pd.to_datetime(
                ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
            ),
            "amount": [100.0, 50.0, -40.0, -10.0, 20.0],
        }
    )
    result = clean({"orders": orders}, snapshot_date="2024-01-31")
    out = result.tables["orders"].set_index("order_id")
    assert list(out.index) == ["1", "2", "3"]
    assert out.loc["1", "amount"] == 60.0 and out.loc["1", "status"] == "returned"
    assert pd.isna(out.loc["2", "status"])
    assert list(result.flagged["unmatched_returns"]["order_id"]) == ["C9"]


def test_retail_invoice_export_cleans(tmp_path):
    from crm_analysis.config import PROJECT_ROOT

    raw = load_raw(PROJECT_ROOT / "tests/data/retail/online_retail_sample.csv",
                   "retail_invoice_lines")
    result = clean(raw)
    orders = result.tables["orders"]
    assert not orders["order_id"].str.startswith("C").any()
    assert (result.tables["order_items"]["unit_price"] > 0).all()
    assert (orders["amount"] >= 0).all()
