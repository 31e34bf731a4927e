"""Tests of the synthetic CRM generator: determinism, truth, dirt, marginals, writing."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from crm_analysis.money import line_value, order_totals
from crm_analysis.synthetic import (
    TABLE_NAMES,
    DirtRates,
    SyntheticConfig,
    SyntheticData,
    generate,
    write_dataset,
)
from crm_analysis.synthetic import writer as writer_mod
from crm_analysis.synthetic.config import CATEGORIES, COUNTRIES, NON_PRODUCT_IDS
from crm_analysis.synthetic.timegrid import ALT_FORMATS, seasonal_profile

CONTRACT_COLUMNS = {
    "customers": [
        "customer_id", "signup_date", "age", "gender", "region", "country",
        "acquisition_channel", "marketing_opt_in", "name", "email", "phone",
    ],
    "products": ["product_id", "product_name", "category", "list_price"],
    "orders": ["order_id", "customer_id", "order_date", "amount", "channel", "status"],
    "order_items": ["order_id", "product_id", "quantity", "unit_price", "discount"],
    "service_tickets": [
        "ticket_id", "customer_id", "opened_at", "first_response_at", "resolved_at", "type",
        "channel", "topic", "satisfaction",
    ],
    "campaigns": ["campaign_id", "name", "channel", "start_date", "end_date", "cost_per_contact"],
    "campaign_contacts": [
        "campaign_id", "customer_id", "sent_at", "group", "opened", "clicked", "converted",
    ],
}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
N = 3000


@pytest.fixture(scope="module")
def dirty() -> SyntheticData:
    return generate(SyntheticConfig(n_customers=N, seed=11))


@pytest.fixture(scope="module")
def tidy() -> SyntheticData:
    return generate(SyntheticConfig(n_customers=N, seed=11, dirty=False))


def _line_totals(items: pd.DataFrame) -> pd.Series:
    """Order totals by the project's convention: lines rounded to cents, then added."""
    value = line_value(items["quantity"], items["unit_price"], items["discount"])
    return order_totals(items["order_id"], value)


def _parse_dates(values: pd.Series) -> pd.Series:
    out = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    for fmt in ALT_FORMATS:
        out = out.fillna(pd.to_datetime(values, format=fmt, errors="coerce"))
    return out


# ---------------------------------------------------------------- shape and determinism


def test_tables_follow_the_contract(dirty: SyntheticData, tidy: SyntheticData) -> None:
    for data in (dirty, tidy):
        for group in (data.tables, data.clean):
            assert set(group) == set(TABLE_NAMES)
            for name, columns in CONTRACT_COLUMNS.items():
                assert list(group[name].columns) == columns, name
    for name, frame in tidy.tables.items():  # without dirt every date column is a datetime
        for col in frame.columns:
            if col.endswith(("_date", "_at")):
                assert pd.api.types.is_datetime64_any_dtype(frame[col]), (name, col)
    assert dirty.tables["orders"]["order_date"].dtype == "string"
    assert dirty.clean["orders"]["order_date"].dtype == "datetime64[ns]"
    assert dirty.clean["customers"]["age"].dtype == "Int64"
    assert dirty.clean["customers"]["marketing_opt_in"].dtype == "boolean"
    assert dirty.clean["order_items"]["quantity"].dtype == "float64"


def test_id_formats(dirty: SyntheticData) -> None:
    t = dirty.clean
    assert t["customers"]["customer_id"].str.fullmatch(r"CU\d{7}").all()
    assert t["products"]["product_id"].str.fullmatch(r"P\d{5}").all()
    assert t["orders"]["order_id"].str.fullmatch(r"\d{7}").all()
    assert t["service_tickets"]["ticket_id"].str.fullmatch(r"T\d{7}").all()
    assert t["campaigns"]["campaign_id"].str.fullmatch(r"CMP\d{3}").all()
    raw_ids = dirty.tables["orders"]["order_id"]
    assert raw_ids.str.fullmatch(r"C?\d{7,8}").all()
    assert raw_ids.str.startswith("C").any()


def test_personal_data_fake_and_distinct(tidy: SyntheticData) -> None:
    c = tidy.clean["customers"]
    for col in ("name", "email", "phone"):
        assert c[col].is_unique
    assert c["email"].str.endswith("@example.invalid").all()
    assert c["name"].str.fullmatch(r"Testperson \d{7} Fakename").all()
    assert c["phone"].str.fullmatch(r"\+00 000 \d{7}").all()


def test_same_seed_same_tables_other_seed_differs() -> None:
    cfg = SyntheticConfig(n_customers=400, seed=5)
    a, b = generate(cfg), generate(cfg)
    for group in ("tables", "clean", "truth"):
        for name in getattr(a, group):
            pd.testing.assert_frame_equal(getattr(a, group)[name], getattr(b, group)[name])
    c = generate(SyntheticConfig(n_customers=400, seed=6))
    assert not a.tables["orders"].equals(c.tables["orders"])


def test_config_round_trip_and_validation() -> None:
    cfg = SyntheticConfig(n_customers=10, dirt=DirtRates(guest_orders=0.1))
    assert SyntheticConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="norm"):
        SyntheticConfig(lam_weights=(0.9, 0.9, 0.0))
    with pytest.raises(ValueError):
        DirtRates(duplicate_orders=1.5)
    with pytest.raises(ValueError):
        SyntheticConfig(start="2025-01-01", end="2024-01-01")


# ---------------------------------------------------------------- truth agrees with tables


def test_purchase_counts_and_dropout_agree(tidy: SyntheticData) -> None:
    truth = tidy.truth["customers"].set_index("customer_id")
    orders = tidy.clean["orders"]
    assert orders["customer_id"].notna().all()  # no guests without dirt
    count = orders.groupby("customer_id").size().reindex(truth.index, fill_value=0)
    expected = truth["n_purchases"] + truth["n_campaign_orders"]
    assert (count == expected).all()
    assert (truth["n_purchases"] >= 1).all()
    assert truth.loc[truth["alive_at_end"], "dropout_time"].isna().all()
    dead = truth[~truth["alive_at_end"]]
    assert dead["dropout_time"].notna().all()
    # a dropped customer's last latent purchase is the dropout time
    latent = tidy.truth["orders"].query("source == 'latent'")
    last = (
        orders.set_index("order_id")
        .loc[latent["order_id"], ["customer_id", "order_date"]]
        .groupby("customer_id")["order_date"]
        .max()
    )
    pd.testing.assert_series_equal(
        last.loc[dead.index], dead["dropout_time"], check_names=False, check_freq=False
    )
    first = orders.groupby("customer_id")["order_date"].min()
    assert (first.loc[truth.index] == truth["first_purchase"]).all()
    signup = tidy.clean["customers"].set_index("customer_id")["signup_date"]
    assert (signup == truth["first_purchase"].dt.normalize()).all()
    assert (orders["order_date"] <= pd.Timestamp("2025-12-31 23:59")).all()


def test_order_values_match_gamma_gamma_truth(tidy: SyntheticData) -> None:
    """Realised order values match p_spend / nu: drawn values within 3 %, item totals within 4 %
    (quantities are whole numbers and at least 1, which adds about 1-2 %)."""
    orders = tidy.truth["orders"].query("source == 'latent'")
    eov = tidy.truth["customers"].set_index("customer_id")["expected_order_value"]
    expected = eov.loc[orders["customer_id"]].to_numpy()
    assert orders["drawn_value"].sum() / expected.sum() == pytest.approx(1.0, abs=0.03)
    assert orders["gross_amount"].sum() / expected.sum() == pytest.approx(1.0, abs=0.04)
    per_customer = orders.groupby("customer_id")["gross_amount"].mean()
    ratio = per_customer.mean() / eov.loc[per_customer.index].mean()
    assert ratio == pytest.approx(1.0, abs=0.05)


def test_latent_marginals_are_gamma_and_beta() -> None:
    cfg = SyntheticConfig(n_customers=5000, seed=3, dirty=False, n_campaigns=1)
    truth = generate(cfg).truth["customers"]
    lam_p = stats.kstest(truth["lam"], stats.gamma(cfg.r, scale=1 / cfg.alpha).cdf).pvalue
    p_p = stats.kstest(truth["p"], stats.beta(cfg.a, cfg.b).cdf).pvalue
    nu_p = stats.kstest(truth["nu"], stats.gamma(cfg.q, scale=1 / cfg.gamma_spend).cdf).pvalue
    assert min(lam_p, p_p, nu_p) > 0.001
    # covariates shift lambda as the loadings say (referral > paid_search; young > old)
    by_channel = truth.groupby("acquisition_channel")["lam"].mean()
    assert by_channel["referral"] > by_channel["paid_search"]
    assert truth.loc[truth["age"] < 35, "lam"].mean() > truth.loc[truth["age"] > 55, "lam"].mean()
    # orthogonal loadings: lambda and p uncorrelated
    assert abs(stats.spearmanr(truth["lam"], truth["p"]).statistic) < 0.05


def test_seasonality_profile() -> None:
    cfg = SyntheticConfig(n_customers=10)
    s = seasonal_profile(cfg)
    assert s.mean() == pytest.approx(1.0)
    days = pd.date_range(cfg.start_ts, periods=cfg.n_days)
    assert s[days.month == 12].mean() > 1.2 * s[days.month == 3].mean()
    flat = seasonal_profile(SyntheticConfig(n_customers=10, seasonality_strength=0.0))
    assert np.allclose(flat, 1.0)


def _dropout_ratio(data: SyntheticData) -> float:
    """Dropout rate after repeat purchases followed by a complaint / without one."""
    o = data.truth["orders"].query("source == 'latent' and purchase_index > 0")
    return (
        o.loc[o["complaint"], "dropped_after"].mean()
        / o.loc[~o["complaint"], "dropped_after"].mean()
    )


def test_complaints_raise_dropout_only_when_switched_on() -> None:
    base = {"n_customers": 6000, "seed": 21, "dirty": False, "ticket_rate": 0.3, "n_campaigns": 1}
    on = generate(SyntheticConfig(**base))
    off = generate(SyntheticConfig(**base, complaint_dropout_factor=1.0, complaint_slow_factor=1.0))
    ratio_on, ratio_off = _dropout_ratio(on), _dropout_ratio(off)
    assert ratio_on > 1.6
    assert 0.75 < ratio_off < 1.3

    # customer level: with the effect, dropout among complainers exceeds the rest by more
    def gap(data: SyntheticData) -> float:
        t = data.truth["customers"].query("n_purchases >= 2")
        dead = ~t["alive_at_end"]
        return dead[t["n_complaints"] > 0].mean() - dead[t["n_complaints"] == 0].mean()

    assert gap(on) > gap(off) + 0.03
    # the factor used is in the truth: p at dropout never below p
    t = on.truth["customers"].dropna(subset=["p_at_dropout"])
    assert (t["p_at_dropout"] >= t["p"] - 1e-12).all()


def test_exact_bgnbd_switch() -> None:
    cfg = SyntheticConfig.exact_bgnbd(n_customers=300, seed=2)
    assert cfg.complaint_dropout_factor == 1.0 and cfg.uplift_scale == 0.0
    data = generate(cfg)
    o = data.truth["orders"]
    assert not (o["source"] == "campaign").any()
    rep = o.query("purchase_index > 0")
    p = data.truth["customers"].set_index("customer_id")["p"]
    assert np.allclose(rep["p_effective"].to_numpy(), p.loc[rep["customer_id"]].to_numpy())


def test_campaigns_and_uplift_truth(tidy: SyntheticData) -> None:
    camp = tidy.clean["campaigns"]
    assert 8 <= len(camp) <= 12
    assert (camp["end_date"] - camp["start_date"] == pd.Timedelta(days=14)).all()
    contacts = tidy.clean["campaign_contacts"]
    uplift = tidy.truth["uplift"]
    assert len(contacts) == len(uplift)
    control = contacts["group"] == "control"
    assert not contacts.loc[control, ["opened", "clicked"]].any().any()
    assert not uplift.loc[control.to_numpy(), "caused_order"].any()
    assert (contacts["clicked"] <= contacts["opened"]).all()
    assert contacts["group"].eq("treatment").mean() == pytest.approx(0.8, abs=0.03)
    # caused orders exist inside the attribution window and make the contact converted
    caused = uplift[uplift["caused_order"]]
    orders = tidy.clean["orders"].set_index("order_id")
    when = orders.loc[caused["caused_order_id"], "order_date"].to_numpy()
    sent = contacts.loc[caused.index, "sent_at"].to_numpy()
    assert ((when >= sent) & (when <= sent + np.timedelta64(14, "D"))).all()
    assert contacts.loc[caused.index, "converted"].all()
    conv = contacts.groupby("group")["converted"].mean()
    assert conv["treatment"] > conv["control"]
    # the uplift formula: larger for app customers
    tc = tidy.truth["customers"]
    assert tc.loc[tc["main_channel"] == "app", "uplift"].mean() > tc["uplift"].mean()


def test_service_tickets_are_consistent(tidy: SyntheticData) -> None:
    t = tidy.clean["service_tickets"]
    assert t["ticket_id"].is_unique
    assert (
        t["first_response_at"].dropna() >= t.loc[t["first_response_at"].notna(), "opened_at"]
    ).all()
    ok = t["resolved_at"].notna()
    assert (t.loc[ok, "resolved_at"] >= t.loc[ok, "opened_at"]).all()
    assert t["satisfaction"].dropna().between(1, 5).all()
    assert t["satisfaction"].isna().mean() == pytest.approx(0.6, abs=0.05)
    assert 0.0 < t["resolved_at"].isna().mean() < 0.3
    sat = t.groupby("type")["satisfaction"].mean()
    assert sat["complaint"] < sat["inquiry"]
    assert t["type"].value_counts(normalize=True)["complaint"] == pytest.approx(0.3, abs=0.05)
    assert set(t["customer_id"]) <= set(tidy.clean["customers"]["customer_id"])


# ---------------------------------------------------------------- clean invariants


def _check_clean(data: SyntheticData) -> None:
    c = data.clean
    for name, key in (("customers", "customer_id"), ("products", "product_id"),
                      ("orders", "order_id"), ("service_tickets", "ticket_id"),
                      ("campaigns", "campaign_id")):  # fmt: skip
        assert c[name][key].is_unique, name
        assert c[name][key].notna().all(), name
    orders, items = c["orders"], c["order_items"]
    assert not orders["order_id"].str.startswith("C").any()
    assert set(items["order_id"]) <= set(orders["order_id"])
    assert set(items["product_id"]) <= set(c["products"]["product_id"])
    assert (items["quantity"] > 0).all() and (items["unit_price"] > 0).all()
    assert not items.duplicated(["order_id", "product_id"]).any()
    totals = _line_totals(items).reindex(orders["order_id"], fill_value=0.0).to_numpy()
    assert np.allclose(orders["amount"].to_numpy(), totals, atol=1e-9)
    assert set(orders["status"]) <= {"completed", "cancelled", "returned"}
    zero = orders["amount"] == 0
    assert (orders.loc[zero, "status"] == "cancelled").all()
    assert (orders.loc[orders["status"] == "cancelled", "amount"] == 0).all()
    assert (orders.loc[orders["status"] == "returned", "amount"] > 0).all()
    end = data.config.end_ts + pd.Timedelta(days=1)
    assert (orders["order_date"] < end).all()
    assert set(c["products"]["category"]) <= set(CATEGORIES)
    assert set(c["customers"]["country"]) <= set(COUNTRIES)
    assert c["customers"]["age"].dropna().between(18, 90).all()
    cust = set(c["customers"]["customer_id"])
    assert set(orders["customer_id"].dropna()) <= cust


def test_clean_tables_invariants(dirty: SyntheticData, tidy: SyntheticData) -> None:
    _check_clean(dirty)
    _check_clean(tidy)
    assert dirty.clean["orders"]["customer_id"].isna().any()  # guest orders are kept


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.0, 0.1), n=st.integers(50, 400))
def test_clean_invariants_property(seed: int, rate: float, n: int) -> None:
    rates = DirtRates(**{f: rate for f in DirtRates.__dataclass_fields__})
    data = generate(SyntheticConfig(n_customers=n, seed=seed, dirt=rates, n_campaigns=3))
    _check_clean(data)
    log = data.truth["dirt_log"]
    assert log["row_number"].ge(0).all()
    for table, frame in data.tables.items():
        assert log.loc[log["table"] == table, "row_number"].lt(len(frame)).all()


def test_returns_net_in_clean(tidy: SyntheticData) -> None:
    raw, clean = tidy.tables["orders"], tidy.clean["orders"].set_index("order_id")
    c_rows = raw[raw["order_id"].str.startswith("C")]
    assert len(c_rows) > 0 and (c_rows["amount"] < 0).all()
    original = c_rows["order_id"].str.slice(1)
    assert original.isin(clean.index).all()  # without dirt every C row has its original
    gross = raw.set_index("order_id").loc[original, "amount"].to_numpy()
    net = clean.loc[original, "amount"].to_numpy()
    # a partial return is priced per returned unit: a cent of rounding may remain
    assert np.allclose(gross + c_rows["amount"].to_numpy(), net, atol=0.011)
    status = clean.loc[original, "status"].to_numpy()
    assert (status == c_rows["status"].to_numpy()).all()
    raw_items = tidy.tables["order_items"]
    c_items = raw_items[raw_items["order_id"].str.startswith("C")]
    assert (c_items["quantity"] < 0).all()


# ---------------------------------------------------------------- dirt


def test_no_dirt_when_clean(tidy: SyntheticData) -> None:
    assert tidy.truth["dirt_log"].empty
    for name in ("customers", "products", "service_tickets", "campaigns", "campaign_contacts"):
        pd.testing.assert_frame_equal(tidy.tables[name], tidy.clean[name])
    raw = tidy.tables["orders"]
    assert not raw.duplicated().any()
    assert not tidy.tables["order_items"].duplicated().any()
    assert raw["customer_id"].notna().all()
    assert not raw["order_id"].str.startswith("C4").any()
    # raw amounts equal the raw line totals
    totals = _line_totals(tidy.tables["order_items"]).reindex(raw["order_id"]).to_numpy()
    assert np.allclose(raw["amount"].to_numpy(), totals, atol=1e-9)


def _within(count: int, rate: float, base: int) -> bool:
    expected = rate * base
    sd = np.sqrt(base * rate * (1 - rate))
    return abs(count - expected) <= 4.5 * sd + 2


def test_dirt_counts_match_rates(dirty: SyntheticData) -> None:
    d = dirty.config.dirt
    log = dirty.truth["dirt_log"]
    n = log.groupby(["table", "kind"]).size().to_dict()
    raw_o, raw_i = dirty.tables["orders"], dirty.tables["order_items"]
    clean_o, clean_i = dirty.clean["orders"], dirty.clean["order_items"]
    n_guest = n[("orders", "guest_order")]
    n_cust_orders = len(clean_o) - n_guest
    checks = [
        (("orders", "duplicate"), d.duplicate_orders, len(raw_o) - n[("orders", "duplicate")]),
        (
            ("order_items", "duplicate"),
            d.duplicate_order_items,
            len(raw_i) - n[("order_items", "duplicate")],
        ),
        (("orders", "guest_order"), d.guest_orders, n_cust_orders),
        (("orders", "orphan_cancellation"), d.orphan_cancellations, n_cust_orders),
        (("orders", "future_order"), d.future_orders, n_cust_orders),
        (("order_items", "non_product_line"), d.non_product_lines, n_cust_orders),
        (("order_items", "bad_price"), d.bad_prices, len(clean_i)),
        (("order_items", "orphan_item"), d.orphan_items, len(clean_i)),
        (("products", "category_spelling"), d.category_spelling, len(dirty.clean["products"])),
        (("customers", "country_spelling"), d.country_spelling, N),
        (("customers", "impossible_age"), d.impossible_ages, N),
    ]
    for key, rate, base in checks:
        assert _within(n.get(key, 0), rate, base), (key, n.get(key, 0), rate * base)
    # mixed formats: share of order rows without other dirt (before duplication)
    other = sum(n[("orders", k)] for k in ("guest_order", "orphan_cancellation", "future_order"))
    base = len(raw_o) - n[("orders", "duplicate")] - other
    assert _within(n[("orders", "mixed_date_format")], d.mixed_date_formats, base)


def _check_log_rows_dirty(data: SyntheticData, tables: dict[str, pd.DataFrame]) -> None:
    """Every logged row is dirty as stated, and no unlogged row has that kind of dirt."""
    log = data.truth["dirt_log"]
    orders, items = tables["orders"], tables["order_items"]
    order_ids = set(orders["order_id"])
    product_ids = set(tables["products"]["product_id"].str.strip())  # ids themselves are clean
    end = data.config.end_ts + pd.Timedelta(days=1)
    dates = _parse_dates(orders["order_date"].astype("string"))
    assert dates.notna().all()

    def rows(table: str, kind: str) -> np.ndarray:
        return log.loc[(log["table"] == table) & (log["kind"] == kind), "row_number"].to_numpy()

    for name in ("orders", "order_items"):
        frame = tables[name]
        dup = rows(name, "duplicate")
        assert frame.duplicated(keep="first").sum() == len(dup)
        for r in dup:
            assert frame.iloc[r].equals(frame.iloc[r - 1])
        logged = log.loc[log["table"] == name]
        assert (frame["order_id"].iloc[logged["row_number"]].to_numpy() == logged["key"]).all()

    guest = rows("orders", "guest_order")
    assert orders["customer_id"].iloc[guest].isna().all()
    # guests and their duplicates are the only rows without customer
    assert orders["customer_id"].isna().sum() == len(guest) + (
        orders["customer_id"].isna().iloc[rows("orders", "duplicate")].sum()
    )
    orphan_c = orders.iloc[rows("orders", "orphan_cancellation")]
    assert orphan_c["order_id"].str.startswith("C").all()
    assert not orphan_c["order_id"].str.slice(1).isin(order_ids).any()
    assert (orphan_c["amount"] < 0).all()
    future = rows("orders", "future_order")
    assert (dates.iloc[future] >= end).all()
    assert (dates >= end).sum() == len(future) + (
        dates.iloc[rows("orders", "duplicate")] >= end
    ).sum()
    mixed = rows("orders", "mixed_date_format")
    text = orders["order_date"].astype("string")
    assert not text.iloc[mixed].str.match(ISO.pattern).any()
    non_iso = ~text.str.match(ISO.pattern)
    assert non_iso.sum() == len(mixed) + non_iso.iloc[rows("orders", "duplicate")].sum()

    assert (items["unit_price"].iloc[rows("order_items", "bad_price")] <= 0).all()
    assert (
        items["product_id"]
        .iloc[rows("order_items", "non_product_line")]
        .isin(NON_PRODUCT_IDS)
        .all()
    )
    orphan = items.iloc[rows("order_items", "orphan_item")]
    assert (~orphan["order_id"].isin(order_ids) | ~orphan["product_id"].isin(product_ids)).all()

    ages = tables["customers"]["age"]
    assert ages.iloc[rows("customers", "impossible_age")].isin([0, 150]).all()
    assert ages.isin([0, 150]).sum() == len(rows("customers", "impossible_age"))
    country = tables["customers"]["country"]
    assert not country.iloc[rows("customers", "country_spelling")].isin(COUNTRIES).any()
    assert (~country.isin(COUNTRIES)).sum() == len(rows("customers", "country_spelling"))
    category = tables["products"]["category"]
    assert not category.iloc[rows("products", "category_spelling")].isin(CATEGORIES).any()
    assert (~category.isin(CATEGORIES)).sum() == len(rows("products", "category_spelling"))


def test_logged_rows_are_dirty_in_memory(dirty: SyntheticData) -> None:
    _check_log_rows_dirty(dirty, dirty.tables)


def test_raw_amount_includes_dirty_lines_clean_excludes(dirty: SyntheticData) -> None:
    raw_o = dirty.tables["orders"].drop_duplicates()
    raw_i = dirty.tables["order_items"].drop_duplicates()
    totals = _line_totals(raw_i).reindex(raw_o["order_id"]).fillna(0).to_numpy()
    assert np.allclose(raw_o["amount"].to_numpy(), totals, atol=1e-9)


# ---------------------------------------------------------------- writing


def _read_csv_like(path, like: pd.DataFrame) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    out = {}
    for col in like.columns:
        values = frame[col]
        dtype = like[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            out[col] = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S").astype(dtype)
        elif pd.api.types.is_bool_dtype(dtype):
            out[col] = values.map({"true": True, "false": False}).astype("boolean")
        elif pd.api.types.is_float_dtype(dtype):
            out[col] = values.astype(float)
        elif str(dtype) in ("Int64", "int64"):
            out[col] = values.astype(float).astype("Int64").astype(dtype)
        else:
            out[col] = values.astype("string")
    return pd.DataFrame(out)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_round_trip(tmp_path, dirty: SyntheticData, fmt: str) -> None:
    out = write_dataset(dirty, tmp_path / "set", fmt=fmt)
    assert sorted(p.name for p in out.glob(f"*.{fmt}")) == sorted(f"{t}.{fmt}" for t in TABLE_NAMES)
    back = {}
    for name, frame in dirty.tables.items():
        path = out / f"{name}.{fmt}"
        back[name] = _read_csv_like(path, frame) if fmt == "csv" else pd.read_parquet(path)
        pd.testing.assert_frame_equal(
            back[name], frame, check_dtype=fmt == "parquet", check_exact=False, rtol=1e-12
        )
    _check_log_rows_dirty(dirty, back)
    truth = out / "_truth"
    cfg = json.loads((truth / "config.json").read_text())
    assert SyntheticConfig.from_dict(cfg) == dirty.config
    for name, frame in dirty.truth.items():
        pd.testing.assert_frame_equal(pd.read_parquet(truth / f"{name}.parquet"), frame)
    for name, frame in dirty.clean.items():
        pd.testing.assert_frame_equal(pd.read_parquet(truth / "clean" / f"{name}.parquet"), frame)


def test_write_refuses_non_empty_dir_and_is_atomic(tmp_path, monkeypatch) -> None:
    data = generate(SyntheticConfig(n_customers=100, seed=1))
    target = tmp_path / "out"
    target.mkdir()
    write_dataset(data, target, fmt="parquet")  # an empty folder is fine
    with pytest.raises(FileExistsError):
        write_dataset(data, target, fmt="parquet")
    write_dataset(data, target, fmt="csv", overwrite=True)
    assert (target / "orders.csv").exists() and not (target / "orders.parquet").exists()
    with pytest.raises(ValueError):
        write_dataset(data, tmp_path / "x", fmt="xlsx")  # type: ignore[arg-type]

    calls = {"n": 0}
    real = writer_mod._write

    def failing(frame, path, fmt):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real(frame, path, fmt)

    monkeypatch.setattr(writer_mod, "_write", failing)
    with pytest.raises(OSError, match="disk full"):
        write_dataset(data, tmp_path / "new", fmt="csv")
    assert not (tmp_path / "new").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left over
    calls["n"] = 0
    with pytest.raises(OSError):
        write_dataset(data, target, fmt="parquet", overwrite=True)
    assert (target / "orders.csv").exists()  # the old set is untouched


# ---------------------------------------------------------------- edge cases and BG/NBD


@pytest.mark.parametrize(
    "overrides",
    [
        {"n_customers": 1},
        {"n_customers": 20, "n_campaigns": 0},
        {"n_customers": 50, "start": "2025-12-01", "end": "2025-12-31"},
        {
            "n_customers": 50,
            "dirt": DirtRates(**dict.fromkeys(DirtRates.__dataclass_fields__, 1.0)),
        },
    ],
)
def test_edge_configs_generate(overrides: dict) -> None:
    data = generate(SyntheticConfig(**overrides))
    _check_clean(data)
    camp = data.clean["campaigns"]
    assert list(camp.columns) == CONTRACT_COLUMNS["campaigns"]


def _bgnbd_fit(orders: pd.DataFrame, end: pd.Timestamp) -> np.ndarray:
    """Maximum-likelihood BG/NBD (Fader, Hardie & Lee 2005, eq. 6), time in days."""
    from scipy import optimize, special

    g = orders.groupby("customer_id")["order_date"].agg(["min", "max", "size"])
    x = (g["size"] - 1).to_numpy(float)
    tx = ((g["max"] - g["min"]).dt.total_seconds() / 86400).to_numpy()
    big_t = ((end - g["min"]).dt.total_seconds() / 86400).to_numpy()

    def nll(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        l1 = special.betaln(a, b + x) - special.betaln(a, b) + common
        l1 = l1 - (r + x) * np.log(alpha + big_t)
        l2 = special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b) + common
        l2 = np.where(x > 0, l2 - (r + x) * np.log(alpha + tx), -np.inf)
        return -np.logaddexp(l1, l2).sum()

    res = optimize.minimize(nll, np.log([1.0, 10.0, 1.0, 1.0]), method="Nelder-Mead",
                            options={"maxiter": 4000, "xatol": 1e-5, "fatol": 1e-5})  # fmt: skip
    return np.exp(res.x)


def test_exact_bgnbd_parameters_are_recovered() -> None:
    """With the exact switch the orders are BG/NBD with the configured r, alpha, a, b."""
    cfg = SyntheticConfig.exact_bgnbd(n_customers=8000, seed=5, dirty=False, n_campaigns=1)
    data = generate(cfg)
    r, alpha, a, b = _bgnbd_fit(data.clean["orders"], cfg.end_ts + pd.Timedelta(days=1))
    assert r == pytest.approx(cfg.r, rel=0.15)
    assert alpha == pytest.approx(cfg.alpha, rel=0.2)
    assert a == pytest.approx(cfg.a, rel=0.35)
    assert b == pytest.approx(cfg.b, rel=0.5)
