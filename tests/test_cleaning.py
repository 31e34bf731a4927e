"""Cleaning: the log counts equal the injected dirt, and the cleaned tables equal the truth."""

from __future__ import annotations

import numpy as np
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
    result = clean(raw, as_of="2024-06-30")
    end = pd.Timestamp("2024-07-01")
    assert result.tables["orders"]["order_date"].max() < end
    assert result.tables["service_tickets"]["opened_at"].max() < end
    resolved = result.tables["service_tickets"]["resolved_at"].dropna()
    assert resolved.max() < end
    assert result.tables["customers"]["signup_date"].max() < end
    assert result.as_of == pd.Timestamp("2024-06-30")


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


def test_a_small_shops_stray_order_days_after_the_export_is_not_its_last_day():
    """Three orders a day: a single stray order five days after the export is one order, as
    many as a real quiet day holds, but the week around it is empty (the synthetic data's
    600-customer set ended on 5 January instead of 31 December)."""
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    dates = pd.concat([pd.Series(days.repeat(3)),
                       pd.Series(pd.to_datetime(["2026-01-05", "2026-02-04", "2026-10-23"]))],
                      ignore_index=True)
    assert infer_snapshot_date(dates, today=pd.Timestamp("2026-12-06")) == pd.Timestamp(
        "2025-12-31")
    quiet_end = pd.concat([dates, pd.Series(pd.to_datetime(["2026-01-01"]))],
                          ignore_index=True)  # one order the day after: still the export
    assert infer_snapshot_date(quiet_end, today=pd.Timestamp("2026-12-06")) == pd.Timestamp(
        "2026-01-01")


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
    result = clean({"orders": orders}, as_of="2024-01-31")
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


def _tiny_tables() -> dict[str, pd.DataFrame]:
    """Orders and lines where each rule has one case, several of them on the same rows."""
    orders = pd.DataFrame({
        "order_id": pd.array(["1", "1", "1", "2", "C2", "3", "4"], dtype="string"),
        "customer_id": pd.array(["a", "a", "b", None, "a", "c", "c"], dtype="string"),
        "order_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-03",
                                      "2024-01-04", "2024-01-05", "2024-03-01"]),
        "amount": [10.0, 10.0, 12.0, 5.0, -5.0, 7.0, 3.0],
    })
    items = pd.DataFrame({
        "order_id": pd.array(["1", "1", "2", "C2", "3", "3", "9", "4"], dtype="string"),
        "product_id": pd.array(["P1", "P1", "P2", "P2", "POST", "P3", "P1", "P1"],
                               dtype="string"),
        "quantity": [1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0, 1.0],
        "unit_price": [10.0, 10.0, 5.0, 5.0, 7.0, 0.0, 1.0, 3.0],
    })
    return {"orders": orders, "order_items": items}


def test_each_rule_sees_only_the_rows_earlier_rules_kept():
    """Rows are removed lazily (marked, taken out once): a later rule must still act as if
    every earlier removal had been applied, and the log must count and name the same rows."""
    result = clean(_tiny_tables(), as_of="2024-01-31")
    log = result.log.set_index(["rule", "table"])
    expect = {  # (rule, table): (rows_in, rows_out, rows_changed, examples)
        ("exact_duplicates", "orders"): (7, 6, 0, "1"),
        ("key_duplicates", "orders"): (6, 5, 0, "1"),
        ("after_snapshot", "orders"): (5, 4, 0, "4"),
        ("guest_orders", "orders"): (4, 4, 1, "2"),
        ("net_returns", "orders"): (4, 3, 1, "C2"),
        ("exact_duplicates", "order_items"): (8, 7, 0, "1"),
        ("after_snapshot", "order_items"): (7, 6, 0, "4"),
        ("non_product_lines", "order_items"): (6, 5, 0, "3"),
        ("invalid_prices", "order_items"): (5, 4, 0, "3"),
        ("orphan_items", "order_items"): (4, 3, 0, "9"),
        ("net_returns", "order_items"): (3, 1, 0, "2, C2"),
    }
    for key, (rows_in, rows_out, changed, examples) in expect.items():
        got = log.loc[key]
        assert (got["rows_in"], got["rows_out"], got["rows_changed"], got["examples"]) == (
            rows_in, rows_out, changed, examples), key
    orders = result.tables["orders"]
    assert orders["order_id"].tolist() == ["1", "2", "3"]
    assert orders["amount"].tolist() == [10.0, 0.0, 0.0]  # 2 cancelled, 3 lost all its lines
    assert orders["status"].tolist()[1] == "cancelled"
    assert result.tables["order_items"][["order_id", "product_id"]].values.tolist() == [
        ["1", "P1"]]
    assert orders.index.equals(pd.RangeIndex(3))
    assert result.flagged["unmatched_returns"].empty


def _working_state(raw, as_of):
    """The state ``clean`` starts from (the raw frames themselves as the working tables)."""
    from crm_analysis.cleaning.pipeline import _orders_with_lines
    from crm_analysis.cleaning.state import WorkingState

    return WorkingState(tables={name: raw[name] for name in raw}, as_of=as_of,
                        date_format_codes=dict(raw.date_format_codes),
                        orders_with_lines=_orders_with_lines(raw["order_items"]))


def test_filter_rules_mark_rows_and_net_returns_copies_them_once(dirty):
    """Up to ``net_returns`` the working frames are the raw frames themselves (rows removed are
    only marked), so a million customers' order lines are not copied once per rule."""
    from crm_analysis.cleaning.rules import RULES, net_returns

    _, raw, result = dirty
    state = _working_state(raw, result.as_of)
    entries = []
    for rule in RULES[:RULES.index(net_returns)]:
        state, got = rule(state)
        entries += got
    for name in ("orders", "order_items"):
        assert state.tables[name] is raw[name], name
        marked = int(state.removed[name].sum())
        assert marked == sum(e.rows_removed for e in entries if e.table == name) > 0, name
    netted, _ = net_returns(state)
    assert "orders" not in netted.removed and "order_items" not in netted.removed
    assert "orders" in state.removed and "order_items" in state.removed  # its input stays
    log = result.log.set_index(["rule", "table"])
    for name in ("orders", "order_items"):
        assert len(netted.tables[name]) == log.loc[("net_returns", name), "rows_out"]
    assert set(netted.removed) <= set(netted.tables)
    rest = netted.compact()
    assert not rest.removed
    for name in ("customers", "service_tickets"):
        assert len(rest.tables[name]) == log.loc[("after_snapshot", name), "rows_out"]


def test_rules_leave_the_state_they_are_given_unchanged(dirty):
    """Each rule returns a new state: the tables, marks and flagged rows of its input (and the
    frames' values) are the same after it ran."""
    from crm_analysis.cleaning.rules import RULES

    _, raw, result = dirty
    state = _working_state(raw, result.as_of)

    def fingerprint(s):
        return ({name: (id(frame), int(pd.util.hash_pandas_object(frame).sum()))
                 for name, frame in s.tables.items()},
                {name: mask.copy() for name, mask in s.removed.items()},
                {name: id(frame) for name, frame in s.flagged.items()})

    entries = []
    for rule in RULES:
        tables, removed, flagged = fingerprint(state)
        new, got = rule(state)
        entries += got
        after_tables, after_removed, after_flagged = fingerprint(state)
        assert after_tables == tables and after_flagged == flagged, rule.__name__
        assert removed.keys() == after_removed.keys(), rule.__name__
        assert all(np.array_equal(removed[k], after_removed[k]) for k in removed), rule.__name__
        state = new
    assert entries == result.entries


def test_remove_rows_marks_them_and_compact_takes_them_out_once():
    from crm_analysis.cleaning.state import WorkingState

    frame = pd.DataFrame({"x": range(6)}, index=[10, 11, 12, 13, 14, 15])
    other = pd.DataFrame({"y": range(3)})
    state = WorkingState(tables={"t": frame, "u": other}, as_of=pd.Timestamp("2024-01-01"))
    assert state.live_rows("t").tolist() == [True] * 6
    once, first = state.remove_rows("t", np.array([1, 0, 0, 1, 0, 0], dtype=bool))
    twice, again = once.remove_rows("t", np.array([1, 1, 0, 0, 0, 1], dtype=bool))
    assert first.tolist() == [True, False, False, True, False, False]
    assert again.tolist() == [False, True, False, False, False, True]  # only the new ones
    assert twice.live_rows("t").tolist() == [False, False, True, False, True, False]
    assert once.live_rows("t").tolist() == [False, True, True, False, True, True]  # unchanged
    assert state.live_rows("t").all() and not state.removed
    same, none = twice.remove_rows("u", np.zeros(3, dtype=bool))
    assert not none.any() and same is twice and "u" not in same.removed
    out = twice.compact()
    assert out.tables["t"]["x"].tolist() == [2, 4] and out.tables["t"].index.tolist() == [12, 14]
    assert out.tables["u"] is other and not out.removed and len(twice.removed["t"]) == 6
    assert twice.tables["t"] is frame and frame["x"].tolist() == list(range(6))
    with pytest.raises(TypeError):
        state.tables["t"] = other  # type: ignore[index]  # the state's mappings are read-only
    with pytest.raises(ValueError):
        twice.removed["t"][2] = True  # and so are its row marks


def test_orders_with_lines_counts_a_returns_lines_for_its_original():
    from crm_analysis.cleaning.pipeline import _orders_with_lines

    items = pd.DataFrame({"order_id": pd.array([" C12", "c7", "5", "C5", "5", "Cx"],
                                               dtype="string")})
    assert set(_orders_with_lines(items)) == {"C12", "12", "c7", "7", "5", "C5", "Cx", "x"}
    assert _orders_with_lines(None) is None


# -- dirt that real exports carry (issue 14) ---------------------------------------------------
def _orders(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    for col in ("order_id", "customer_id"):
        if col in frame:
            frame[col] = frame[col].astype("string")
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


def _removed(result, rule: str, table: str = "orders") -> int:
    log = result.log.set_index(["rule", "table"])
    return int(log["rows_removed"].get((rule, table), 0))


def test_ids_written_as_floats_are_one_customer_in_every_table():
    orders = _orders(order_id=["1", "2", "3"], customer_id=["17850.0", "17850", None],
                     order_date=["2024-01-01", "2024-01-02", "2024-01-03"], amount=[1.0, 2, 3])
    customers = pd.DataFrame({"customer_id": pd.array(["17850.0"], dtype="string")})
    result = clean({"orders": orders, "customers": customers}, as_of="2024-01-31")
    assert result.tables["orders"]["customer_id"].tolist()[:2] == ["17850", "17850"]
    assert result.tables["customers"]["customer_id"].tolist() == ["17850"]
    changed = result.log.set_index(["rule", "table"])["rows_changed"]
    assert changed[("float_ids", "orders")] == 1 and changed[("float_ids", "customers")] == 1
    # ids that are not all numbers are left alone: "A1.0" is a code, not a float
    mixed = _orders(order_id=["1", "2"], customer_id=["A1.0", "17.0"],
                    order_date=["2024-01-01", "2024-01-02"], amount=[1.0, 2])
    out = clean({"orders": mixed}, as_of="2024-01-31").tables["orders"]
    assert out["customer_id"].tolist() == ["A1.0", "17.0"]


def test_orders_without_an_amount_are_removed_and_counted():
    orders = _orders(order_id=["1", "2", "3"], customer_id=["a", "b", "c"],
                     order_date=["2024-01-01", "2024-01-02", "2024-01-03"],
                     amount=[10.0, np.nan, np.inf])
    result = clean({"orders": orders}, as_of="2024-01-31")
    assert result.tables["orders"]["order_id"].tolist() == ["1"]
    assert _removed(result, "missing_amounts") == 2


def test_orders_of_fees_only_are_not_purchases():
    """UCI's bad-debt adjustments: invoices 'A...' whose only line is the 'B' fee code."""
    orders = _orders(order_id=["1", "A2"], customer_id=["a", None],
                     order_date=["2024-01-01", "2024-01-02"], amount=[12.0, 11062.06])
    items = pd.DataFrame({"order_id": pd.array(["1", "1", "A2"], dtype="string"),
                          "product_id": pd.array(["P1", "POST", "B"], dtype="string"),
                          "quantity": [1.0, 1.0, 1.0], "unit_price": [10.0, 2.0, 11062.06]})
    result = clean({"orders": orders, "order_items": items}, as_of="2024-01-31")
    out = result.tables["orders"].set_index("order_id")
    assert list(out.index) == ["1"] and out.loc["1", "amount"] == 10.0
    assert _removed(result, "non_product_lines") == 1


def test_a_sparse_head_is_left_out_and_a_quiet_season_is_not():
    rng = np.random.default_rng(3)
    busy = pd.date_range("2017-01-01", "2018-06-30", freq="h")
    head = pd.to_datetime(["2016-09-04", "2016-10-10", "2016-12-23"])
    days = [*rng.choice(busy, 5_000), *head]
    orders = _orders(order_id=[str(i) for i in range(len(days))],
                     customer_id=[f"c{i % 700}" for i in range(len(days))], order_date=days,
                     amount=[10.0] * len(days))
    result = clean({"orders": orders}, as_of="2018-06-30")
    assert _removed(result, "sparse_start") == 3
    assert result.tables["orders"]["order_date"].min() >= pd.Timestamp("2017-01-01")
    # a garden shop: every winter is quiet, and that is most of a year's orders: kept
    season = pd.date_range("2015-01-01", "2017-12-31", freq="D")
    weights = np.where(season.month.isin([11, 12, 1, 2]), 0.01, 1.0)
    picks = rng.choice(season, 3_000, p=weights / weights.sum())
    shop = _orders(order_id=[str(i) for i in range(len(picks))],
                   customer_id=[f"c{i % 300}" for i in range(len(picks))], order_date=picks,
                   amount=[10.0] * len(picks))
    assert _removed(clean({"orders": shop}, as_of="2017-12-31"), "sparse_start") == 0


def test_identical_orders_without_ids_or_times_are_kept():
    """Two purchases of 9.99 by one customer on one day look exactly like an exported twice row
    when the export has neither order ids nor times of day: they are kept, and counted."""
    dated = _orders(customer_id=["a", "a", "b"], order_date=["2024-01-05"] * 3,
                    amount=[9.99, 9.99, 5.0])
    result = clean({"orders": dated}, as_of="2024-01-31")
    assert len(result.tables["orders"]) == 3
    note = result.log.set_index(["rule", "table"]).loc[("exact_duplicates", "orders"), "note"]
    assert "1 identical rows kept" in note
    timed = dated.assign(order_date=pd.to_datetime(["2024-01-05 10:01"] * 3))
    assert len(clean({"orders": timed}, as_of="2024-01-31").tables["orders"]) == 2
