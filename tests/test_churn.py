"""Churn prediction: labels, features at a cutoff, metric definitions, leakage, synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from crm_analysis import churn
from crm_analysis.features import rfm_summary
from crm_analysis.synthetic import SyntheticConfig, generate


def _orders(rows):
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    frame["order_date"] = pd.to_datetime(frame["order_date"], format="ISO8601")
    frame["order_id"] = [f"O{i}" for i in range(len(frame))]
    frame["status"] = "completed"
    return frame


@pytest.fixture
def small():
    return _orders([
        ("A", "2024-01-01", 10.0), ("A", "2024-01-20", 20.0), ("A", "2024-03-05", 5.0),
        ("B", "2024-01-10", 30.0), ("B", "2024-02-28 23:59", 15.0),
        ("C", "2023-01-01", 50.0),                     # silent for over a year: not active
        ("D", "2024-02-01", 0.0),                      # cancelled order: not a purchase
        ("D", "2024-02-15", 12.0), ("D", "2024-04-20", 8.0),
        (None, "2024-03-10", 99.0),                    # guest order
        ("E", "2024-03-01", 40.0),                     # first purchase after the cutoff
    ])


def test_labels_at_a_cutoff(small):
    log = churn.purchase_log(small)
    labels = churn.churn_labels(log, "2024-02-29", 30)
    # A buys on 5 March (inside (29 Feb, 30 Mar]); B last bought on 28 February;
    # D's next purchase (20 Apr) is after the horizon; C is inactive, E not yet a customer
    assert labels.to_dict() == {"A": False, "B": True, "D": True}
    assert churn.churn_labels(log, "2024-02-29", 60)["D"] == np.False_


def test_features_use_only_data_up_to_the_cutoff(small):
    inputs = churn.prepare_inputs(small)
    f = churn.churn_features(inputs, "2024-02-29", horizon_days=30)
    assert list(f.index) == ["A", "B", "D"]
    a, b, d = f.loc["A"], f.loc["B"], f.loc["D"]
    assert a["recency_days"] == 40 and a["tenure_days"] == 59 and a["orders"] == 2
    assert a["total_spend"] == 30 and a["mean_gap_days"] == 19 and a["last_gap_days"] == 19
    assert b["recency_days"] == 1 and b["orders_last_window"] == 1  # 28 Feb 23:59 counts
    assert d["orders"] == 1 and d["repeat_buyer"] == 0 and d["mean_gap_days"] == d["tenure_days"]
    assert not f.isna().any().any()
    # the later purchases of A (5 Mar) and D (20 Apr) change nothing before the cutoff
    cut = small[small["order_date"] < "2024-03-01"]
    pd.testing.assert_frame_equal(f, churn.churn_features(churn.prepare_inputs(cut),
                                                          "2024-02-29", horizon_days=30))


def test_feature_rfm_matches_rfm_summary(small):
    inputs = churn.prepare_inputs(small)
    f = churn.churn_features(inputs, "2024-02-29", horizon_days=30)
    s = rfm_summary(small[small["amount"] > 0], as_of="2024-02-29").loc[f.index]
    np.testing.assert_array_equal(f["purchase_days"] - 1, s["frequency"])
    np.testing.assert_array_equal(f["tenure_days"], s["T"])
    np.testing.assert_array_equal(f["tenure_days"] - f["recency_days"], s["recency"])


def test_metric_definitions_against_hand_counts_and_sklearn():
    y = np.array([1, 0, 1, 1, 0, 0, 0, 0, 0, 1])
    s = np.array([.9, .8, .7, .7, .2, .1, .3, .6, .1, .05])
    assert churn.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert churn.average_precision(y, s) == pytest.approx(average_precision_score(y, s))
    # top decile of 10 rows = the single highest score (a churner); base rate 0.4
    assert churn.top_decile_lift(y, s) == pytest.approx(1 / 0.4)
    # ties at the boundary enter pro rata: two rows tied at the top, one churner
    assert churn.top_decile_lift([1, 0, 0, 0], [1, 1, 0, 0], share=0.25) == pytest.approx(0.5 / .25)
    assert churn.weighted_brier(y, s) == pytest.approx(np.mean((s - y) ** 2))
    # bootstrap weights: a weight of 2 is a duplicated row
    w = np.ones(10)
    w[0] = 2
    dup = np.r_[0, np.arange(10)]
    assert churn.roc_auc(y, s, w) == pytest.approx(roc_auc_score(y[dup], s[dup]))
    brier = churn.weighted_brier(y, s, w[None, :])[0]
    assert brier == pytest.approx(np.mean((s[dup] - y[dup]) ** 2))


def test_metrics_differ_from_sklearn_where_their_docstrings_say():
    """One value per resample of a weight matrix; NaN, not an error or 0, for one class only;
    calibration bands as a table whose rates match a resample written out row by row."""
    y = np.array([1, 0, 1, 1, 0, 0, 0, 0, 0, 1])
    s = np.array([.9, .8, .7, .7, .2, .1, .3, .6, .1, .05])
    w = np.vstack([np.ones(10), np.r_[2, np.ones(9)]])
    for f in (churn.roc_auc, churn.average_precision, churn.top_decile_lift, churn.weighted_brier):
        out = f(y, s, w)
        assert out.shape == (2,) and out[0] == pytest.approx(f(y, s))
    assert np.isnan(churn.roc_auc(np.zeros(4), [.1, .2, .3, .4]))
    assert np.isnan(churn.average_precision(np.zeros(4), [.1, .2, .3, .4]))
    bands = churn.calibration_bands(y, s, n_bins=5, weights=w)
    assert list(bands.columns) == ["band", "predicted", "observed", "customers", "lower", "upper"]
    assert bands["customers"].sum() == 10
    rates = churn.metrics.band_rates(y, s, w, 5)
    dup = np.r_[0, np.arange(10)]
    again = churn.calibration_bands(y[dup], s[dup], n_bins=5).set_index("band")["observed"]
    np.testing.assert_allclose(rates[1], again.reindex(np.arange(5) / 5).to_numpy())


def test_evaluate_intervals_cover_the_estimate():
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.4).astype(float)
    s = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    ev = churn.evaluate(y, {"m": s}, n_bootstrap=100, seed=3)
    t = ev.table.set_index("metric")
    assert ((t["lower"] <= t["estimate"]) & (t["estimate"] <= t["upper"])).all()
    assert len(ev.samples[("m", "roc_auc")]) == 100
    again = churn.evaluate(y, {"m": s}, n_bootstrap=100, seed=3)
    pd.testing.assert_frame_equal(ev.table, again.table)
    # m-out-of-n on a subset of 200 rows: same estimates, intervals of similar width
    sub = churn.evaluate(y, {"m": s}, n_bootstrap=100, seed=3, max_rows=200).table
    pd.testing.assert_series_equal(sub["estimate"], ev.table["estimate"])
    width = (sub["upper"] - sub["lower"]) / (ev.table["upper"] - ev.table["lower"])
    assert ((width > 0.6) & (width < 1.6)).all(), width


def test_windows_follow_the_history(small):
    """Too few gaps: the default horizon; a given one is kept; dates never before the data."""
    log = churn.purchase_log(pd.concat([small] * 1, ignore_index=True))
    w = churn.plan_windows(log, "2024-04-30")
    assert w.horizon.days == churn.analysis.DEFAULT_HORIZON_DAYS and not w.horizon.derived
    assert "too few" in w.horizon.reasoning
    w = churn.plan_windows(log, "2024-04-30", horizon_days=30)
    assert w.horizon.days == 30 and not w.horizon.derived
    first = pd.to_datetime(small["order_date"]).min().normalize()
    assert w.cutoffs and all(c - pd.Timedelta(days=30) >= first for c in w.cutoffs)
    assert 2 <= len(w.cutoffs) <= 4


def test_no_room_for_a_backtest_ranks_by_the_recency_rule():
    days = pd.to_datetime(["2024-03-01", "2024-03-20", "2024-04-10", "2024-04-25"] * 3)
    orders = pd.DataFrame({"customer_id": pd.array(list("aaaabbbbcccc"), dtype="string"),
                           "order_date": days, "amount": 10.0})
    inputs = churn.prepare_inputs(orders)
    w = churn.plan_windows(inputs.log, "2024-04-30", horizon_days=182)
    assert w.cutoffs == [] and "No backtest" in w.notes[0] and "547 days" in w.notes[0]
    analysis = churn.analyse(inputs, "2024-04-30", horizon_days=182, n_bootstrap=10)
    assert analysis.result is None and analysis.scores["churn_probability"].isna().all()
    assert set(analysis.scores["risk_tier"]) <= {"high", "medium", "low"}


def test_risk_tiers_and_crm_export():
    tiers = churn.risk_tiers([0.1, 0.4, 0.69, 0.7, 0.95])
    assert list(tiers) == ["low", "medium", "medium", "high", "high"]
    scores = pd.DataFrame({"customer_id": ["A"], "churn_probability": [0.123], "risk_tier": ["low"],
                           "clv": [100.0], "value_at_risk": [12.3], "reason_1": ["x"],
                           "reason_2": [""], "reason_3": [""], "call_rank": [1]})
    export = churn.crm_export(scores, scored_on="2025-12-31", horizon_days=91)
    assert list(export.columns) == list(churn.CRM_COLUMNS)
    assert export.iloc[0]["Churn_Probability_Pct__c"] == 12.3


# -- the pipeline on generated data ----------------------------------------------------------
@pytest.fixture(scope="module")
def synthetic():
    data = generate(SyntheticConfig(n_customers=5_000, seed=7, dirty=False))
    return data


def _pipeline(orders, tables, snapshot, horizon_days, seed=0):
    inputs = churn.prepare_inputs(orders, tables)
    cutoffs = churn.plan_windows(inputs.log, snapshot, horizon_days=horizon_days,
                                 n_cutoffs=3).cutoffs
    feats = churn.build_panel(inputs, [*cutoffs, snapshot], horizon_days=horizon_days,
                              as_of=snapshot, random_state=seed)
    models = churn.make_models(feats.feature_names, random_state=seed)
    scored = churn.score_customers(feats, models["gbm"], snapshot)
    return feats, scored


def test_a_panel_without_the_snapshot_says_so_not_that_nobody_is_active():
    """Issue 19: scoring on a panel built without the snapshot said "no customer is active"
    although hundreds were; the error now names the snapshot and the panel's cutoffs."""
    data = generate(SyntheticConfig(n_customers=400, seed=3, dirty=False))
    orders, snapshot = data.clean["orders"], pd.Timestamp(data.config.end)
    inputs = churn.prepare_inputs(orders)
    cutoffs = churn.plan_windows(inputs.log, snapshot, horizon_days=90, n_cutoffs=2).cutoffs
    feats = churn.build_panel(inputs, cutoffs, horizon_days=90, as_of=snapshot)
    model = churn.make_models(feats.feature_names)["logistic"]
    with pytest.raises(ValueError, match=r"no rows at the snapshot 2025-12-31: build it with "
                                         r"the snapshot among its cutoffs"):
        churn.score_customers(feats, model, snapshot)


def test_leakage_guard_nothing_after_the_snapshot_reaches_features_or_model(synthetic):
    """Run with a snapshot well before the end of the data, then on data cut at the snapshot."""
    clean = synthetic.clean
    snapshot = pd.Timestamp("2025-03-31")
    tables = {k: clean[k] for k in ("order_items", "products", "customers", "service_tickets",
                                    "campaign_contacts")}
    full_feats, full = _pipeline(clean["orders"], tables, snapshot, 63)
    end = snapshot + pd.Timedelta(days=1)
    orders = clean["orders"][clean["orders"]["order_date"] < end]
    cut = dict(tables)
    cut["order_items"] = tables["order_items"][churn.events.pd.Index(orders["order_id"])
                                               .get_indexer(tables["order_items"]["order_id"]) >= 0]
    cut["service_tickets"] = tables["service_tickets"][tables["service_tickets"]["opened_at"] < end]
    cut["campaign_contacts"] = tables["campaign_contacts"][
        tables["campaign_contacts"]["sent_at"] < end]
    cut_feats, truncated = _pipeline(orders, cut, snapshot, 63)
    pd.testing.assert_frame_equal(full_feats.panel, cut_feats.panel)
    pd.testing.assert_frame_equal(full.scores, truncated.scores)
    # the call order: high risk first, then medium, then low
    tiers = pd.Categorical(full.scores["risk_tier"], list(churn.RISK_TIERS)).codes
    assert (np.diff(tiers) >= 0).all() and full.scores["call_rank"].tolist() == list(
        range(1, len(full.scores) + 1))


def _latest(auc: dict[str, list[float]]):
    """A stand-in backtest result: ROC-AUC bootstrap samples per model (the estimate = mean)."""
    from types import SimpleNamespace
    table = pd.DataFrame([{"model": m, "metric": "roc_auc", "estimate": float(np.mean(v))}
                          for m, v in auc.items()])
    samples = {(m, "roc_auc"): np.asarray(v, dtype=float) for m, v in auc.items()}
    return SimpleNamespace(latest=SimpleNamespace(table=table, samples=samples))


def test_a_learned_model_scores_only_where_it_clearly_beats_the_best_rule():
    rng = np.random.default_rng(0)
    base = rng.normal(0.80, 0.01, 200)
    close = _latest({"recency": base - 0.05, "bgnbd": base,
                     "logistic": base + 0.003 + rng.normal(0, 0.01, 200),
                     "gbm": base + 0.004 + rng.normal(0, 0.01, 200)})
    choice = churn.choose_model(close)
    assert choice.name == "bgnbd" and choice.is_rule and not choice.beats_baselines
    assert "scored by the rule" in choice.reasoning
    clear = _latest({"recency": base - 0.05, "bgnbd": base, "logistic": base + 0.02,
                     "gbm": base + 0.021 + rng.normal(0, 0.01, 200)})
    choice = churn.choose_model(clear)
    assert choice.name == "logistic" and not choice.is_rule and choice.beats_baselines
    assert choice.rule == "bgnbd"


def _reference_run(data):
    """Backtest and choice on a synthetic set, with both references on its latest test date."""
    clean, truth, cfg = data.clean, data.truth, data.config
    snapshot = pd.Timestamp(cfg.end)
    tables = {k: clean[k] for k in ("order_items", "products", "customers", "service_tickets",
                                    "campaign_contacts") if k in clean}
    inputs = churn.prepare_inputs(clean["orders"], tables)
    windows = churn.plan_windows(inputs.log, snapshot, n_cutoffs=4)
    horizon = windows.horizon
    feats = churn.build_panel(inputs, windows.cutoffs, horizon_days=horizon.days,
                              as_of=snapshot)
    result = churn.backtest(feats, churn.make_models(feats.feature_names), n_bootstrap=50)
    choice = churn.choose_model(result)
    labels = result.predictions.set_index("customer_id")["churned"]
    oracle = churn.oracle_auc(labels, churn.oracle_probability(
        truth["customers"], cfg, result.test_cutoff, horizon.days))
    bayes = churn.oracle_auc(labels, churn.history_probability(
        clean["orders"], clean["customers"], clean["service_tickets"], cfg, result.test_cutoff,
        horizon.days))
    return result, choice, oracle, bayes


@pytest.fixture(scope="module")
def default_run(synthetic):
    return _reference_run(synthetic)


def test_synthetic_chosen_model_beats_both_baselines(default_run):
    result, choice, oracle, _ = default_run
    auc = {m: churn.metric_value(result, m, "roc_auc") for m in ("recency", "bgnbd", choice.name)}
    assert auc[choice.name] > auc["recency"] and auc[choice.name] > auc["bgnbd"], auc
    assert auc[choice.name] < oracle  # the oracle is an upper bound


def test_synthetic_chosen_model_within_002_of_the_history_based_reference(default_run):
    """Issue 15 (deciding issue 6): the oracle sees the hidden state (about 0.95) and stays a
    stated ceiling; the requirement is the history-based reference: the generator's posterior
    from the orders, covariates and complaints a model can see at the cutoff."""
    result, choice, oracle, bayes = default_run
    auc = churn.metric_value(result, choice.name, "roc_auc")
    assert bayes - auc <= 0.02, (auc, bayes)
    assert bayes < oracle


def test_exact_bgnbd_chosen_model_within_001_of_the_bayes_reference():
    """On exact BG/NBD data the reference is the BG/NBD posterior with the true parameters,
    sharpened by what the covariates say about each customer's rate and dropout."""
    data = generate(SyntheticConfig.exact_bgnbd(n_customers=5_000, seed=7, dirty=False))
    result, choice, _, bayes = _reference_run(data)
    auc = churn.metric_value(result, choice.name, "roc_auc")
    assert abs(bayes - auc) <= 0.01, (choice.name, auc, bayes)


def test_history_reference_reduces_to_the_bgnbd_formula_without_covariates_or_seasons():
    """The quasi-Monte Carlo posterior against its closed form: with no seasonality, no
    complaint effect and covariates that carry nothing, the history-based reference is the
    BG/NBD probability of no purchase with the true parameters."""
    cfg = SyntheticConfig.exact_bgnbd(n_customers=1_500, seed=3, dirty=False,
                                      lam_weights=(0.0, 0.0, 0.0), p_weights=(0.0, 0.0, 0.0))
    data = generate(cfg)
    cutoff = pd.Timestamp(cfg.end) - pd.Timedelta(days=180)
    history = churn.history_probability(data.clean["orders"], data.clean["customers"],
                                        data.clean["service_tickets"], cfg, cutoff, 90)
    formula = churn.bayes_probability(data.clean["orders"], cfg, cutoff, 90)
    assert history.index.equals(formula.index)
    gap = (history - formula).abs()  # Monte Carlo error, and clock against seasonal time
    assert gap.mean() < 0.002 and gap.quantile(0.99) < 0.01 and gap.max() < 0.03, gap.describe()


def test_history_reference_uses_covariates_and_complaints():
    """Same orders, different evidence. With one order (no dropout yet) a customer whose
    covariates signal a lower purchase rate is more likely to buy nothing; with three orders,
    a slow complaint after the last one raises the dropout probability, so it is too."""
    cfg = SyntheticConfig(n_customers=10, seed=0)  # lam loads +0.4 on channel, -0.3 on age
    when = pd.to_datetime(["2023-03-01 12:00", "2023-04-01 12:00", "2023-05-01 12:00"])
    orders = pd.DataFrame({"customer_id": ["a", "b"] + ["c"] * 3 + ["d"] * 3,
                           "order_date": [when[0], when[0], *when, *when]})
    customers = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                              "acquisition_channel": ["referral", "paid_search", "organic",
                                                      "organic"],
                              "region": "West", "age": [25, 75, 75, 75]})
    tickets = pd.DataFrame({"customer_id": ["d"], "type": ["complaint"],
                            "opened_at": pd.to_datetime(["2023-05-03"]),
                            "resolved_at": pd.to_datetime(["2023-05-20"])})
    p = churn.history_probability(orders, customers, tickets, cfg, "2023-06-30", 90)
    assert p["b"] > p["a"] + 0.05
    assert p["d"] > p["c"] + 0.05
    assert p.between(0, 1).all()


def test_reasons_are_actionable_and_never_blank():
    X = pd.DataFrame({"recency_days": [200.0, 12.0], "orders": [1.0, 9.0], "age": [39.0, 50.0]},
                     index=pd.Index(["a", "b"], name="customer_id"))
    reference = pd.Series({"recency_days": 30.0, "orders": 3.0, "age": 45.0})
    # a: the model leans most on age, then on silence and few orders; b: nothing stands out
    contributions = pd.DataFrame({"recency_days": [0.8, 0.0], "orders": [0.3, 0.0],
                                  "age": [1.5, 0.01]}, index=X.index)
    reasons = churn.reason_texts(contributions, X, horizon_days=90, reference=reference)
    assert reasons.loc["a", "reason_1"] == "no purchase for 200 days"
    assert reasons.loc["a", "reason_2"] == "1 order(s) in total"
    assert "age" not in reasons.loc["a", "top_reasons"]
    assert reasons.loc["b", "reason_1"] == "no purchase for 12 days"  # the plain fact, not blank
