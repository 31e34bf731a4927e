"""The value models recover the synthetic generator's true parameters.

``SyntheticConfig.exact_bgnbd`` makes purchases follow BG/NBD exactly (no complaint effect, no
seasonality, no campaign orders) and spend follow Gamma-Gamma at the order level (docs/
synthetic_data.md). Two things keep the *realised* orders from being exactly what the models
assume, and the assertions below state them:

* **Day granularity.** The summary counts purchase *days* (same-day orders merged), as the notebook
  does. The generator's purchases happen in continuous time, so about 2.5% of repeat purchases
  fall on a day that already has one, mostly for the frequent buyers. Fewer, smoother purchases
  bias alpha up by about 7% and r by about 3% (30 replications each of 2,000 and 3,000
  customers: alpha +7-8%, r +3-4%, a and b within 3%). With 2,000 customers the alpha interval
  (about +-11%) still covers the truth in about 80% of fits and r, a, b in 87-90%; with 3,000 the
  alpha coverage falls to about 63%, and with 20,000 the bias is twice the interval's half-width.
  So we use 2,000 customers, assert coverage counts over ten seeds (nominal 9.5 of 10) and the
  direction and size of the average alpha bias, rather than one lucky seed. Counted in purchase
  *hours* instead, merging all but vanishes, and 20,000 customers recover all four true
  parameters inside their 95% intervals (``test_bgnbd_recovers_truth_counted_in_hours``).
* **Realised amounts.** The Gamma-Gamma draw z is exact, but the order amount is built from
  products and quantities (about 1-2% above z), returns are netted and cancelled orders are
  0, and same-day orders are summed. p, q and gamma lie on a ridge on which only the mean
  spend p gamma / (q - 1) is well determined, so on amounts we check that mean (within 8% of the
  fit on the exact draws), and on the exact draws (``truth["orders"].drawn_value`` per order)
  the intervals themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis.features import rfm_summary
from crm_analysis.synthetic import SyntheticConfig, generate
from crm_analysis.value import BetaGeo, GammaGamma

SEEDS = range(1, 11)
N_CUSTOMERS = 2_000


@pytest.fixture(scope="module")
def fits():
    """Ten exact-BG/NBD data sets of 2,000 customers, fitted at day granularity (~2 s)."""
    rows = []
    for seed in SEEDS:
        cfg = SyntheticConfig.exact_bgnbd(n_customers=N_CUSTOMERS, seed=seed, dirty=False)
        data = generate(cfg)
        orders = data.clean["orders"]
        summary = rfm_summary(orders, as_of=cfg.end)  # days, same-day merged
        truth = data.truth["orders"]
        repeat = truth[truth["purchase_index"] > 0]
        drawn = repeat.groupby("customer_id").agg(frequency=("drawn_value", "size"),
                                                  monetary_value=("drawn_value", "mean"))
        true_value = data.truth["customers"].set_index("customer_id")["expected_order_value"]
        rows.append({"cfg": cfg, "summary": summary, "bg": BetaGeo().fit(summary),
                     "true_order_value": float(true_value.reindex(drawn.index).mean()),
                     "gg_drawn": GammaGamma().fit(drawn), "gg_amount": GammaGamma().fit(summary)})
    return rows


def covered(ci: pd.DataFrame, name: str, true: float) -> bool:
    return bool(ci.loc[name, "lower"] <= true <= ci.loc[name, "upper"])


def test_bgnbd_intervals_cover_the_true_parameters(fits):
    for name in ("r", "alpha", "a", "b"):
        hits = sum(covered(f["bg"].confidence_intervals_, name, getattr(f["cfg"], name))
                   for f in fits)
        # nominal 95%; alpha's interval is shifted by the day-granularity bias (module doc)
        assert hits >= (6 if name == "alpha" else 8), (name, hits)


def test_bgnbd_estimates_are_close_to_truth_on_average(fits):
    rel = pd.DataFrame([{k: f["bg"].params_[k] / getattr(f["cfg"], k) - 1
                         for k in ("r", "alpha", "a", "b")} for f in fits]).mean()
    assert abs(rel["r"]) < 0.06
    assert 0.0 < rel["alpha"] < 0.12  # biased up by merging same-day purchases (~+7%)
    assert abs(rel["a"]) < 0.10 and abs(rel["b"]) < 0.10
    # the mean purchase rate r / alpha is within 5% of the truth (0.03 a day)
    rate = np.mean([f["bg"].params_["r"] / f["bg"].params_["alpha"] for f in fits])
    assert rate == pytest.approx(0.03, rel=0.05)


def test_bgnbd_time_unit_only_rescales_alpha(fits):
    f = fits[0]
    summary = f["summary"]
    weekly = BetaGeo().fit(summary.assign(recency=summary["recency"] / 7, T=summary["T"] / 7))
    for name in ("r", "a", "b"):
        assert weekly.params_[name] == pytest.approx(f["bg"].params_[name], rel=1e-5)
    assert weekly.params_["alpha"] * 7 == pytest.approx(f["bg"].params_["alpha"], rel=1e-5)


def test_gamma_gamma_intervals_cover_truth_on_the_exact_draws(fits):
    for name, attr in (("p", "p_spend"), ("q", "q"), ("gamma", "gamma_spend")):
        hits = sum(covered(f["gg_drawn"].confidence_intervals_, name, getattr(f["cfg"], attr))
                   for f in fits)
        assert hits >= 8, (name, hits)


def test_gamma_gamma_mean_spend_on_realised_amounts_within_tolerance(fits):
    for f in fits:
        # the customers' true mean order values p_spend / nu (this sample's, not the population's
        # 60: with q = 3.5 the sample mean of 2,000 customers varies by several percent)
        true_mean = f["true_order_value"]
        assert f["gg_drawn"].population_mean_spend() == pytest.approx(true_mean, rel=0.05)
        # amounts: products/quantities (+1-2%), netted returns, cancelled orders at 0 and
        # same-day sums move the estimate from the exact draws' (observed -2% .. +4%)
        assert f["gg_amount"].population_mean_spend() == pytest.approx(
            f["gg_drawn"].population_mean_spend(), rel=0.08)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bgnbd_recovers_truth_counted_in_hours(seed):
    """20,000 exact-BG/NBD customers, purchase periods of one hour, times in days: every true
    parameter lies inside its 95% interval (and each estimate within 6% of the truth)."""
    cfg = SyntheticConfig.exact_bgnbd(n_customers=20_000, seed=seed, dirty=False)
    orders = generate(cfg).clean["orders"]
    end = pd.Timestamp(cfg.end) + pd.Timedelta(hours=23, minutes=59)
    summary = rfm_summary(orders, as_of=end, time_unit="h", time_scaler=24)
    fit = BetaGeo().fit(summary)
    for name in ("r", "alpha", "a", "b"):
        true = getattr(cfg, name)
        assert covered(fit.confidence_intervals_, name, true), (name, fit.params_[name], true)
        assert fit.params_[name] == pytest.approx(true, rel=0.06), name


def test_the_purchase_model_must_beat_the_rate_rule_or_the_value_is_empirical(monkeypatch):
    """The rate rule by hand; the BG/NBD values stand on synthetic data where BG/NBD beats the
    rule, and give way to the empirical value when the rule is unbeatable (a perfect rule)."""
    from crm_analysis import value
    from crm_analysis.value import holdout

    cal = pd.DataFrame({"frequency": [0.0, 2.0], "T": [10.0, 20.0], "duration_holdout": [5.0, 5.0]})
    assert value.rate_rule(cal).tolist() == [0.0, 0.5]
    data = generate(SyntheticConfig(n_customers=1_500, seed=3, dirty=False))
    orders, end = data.clean["orders"], data.config.end
    fitted = value.analyse(orders, end, seed=1)
    assert fitted.holdout.model_earns_its_place
    assert (fitted.customer_value["clv_basis"] == "model").all()
    # BG/NBD beats the rule per customer but overshoots the holdout total (the seasonal peak
    # at the calibration end makes quiet customers look alive): the page says so at the total
    assert value.verdict(fitted).level == "not reliable on this data"
    assert "**Not a revenue plan.** BG/NBD missed its holdout total by +" in " ".join(
        value.key_findings(fitted))
    monkeypatch.setattr(holdout, "rate_rule", lambda cal_hold: cal_hold["frequency_holdout"])
    beaten = value.analyse(orders, end, seed=1)
    assert not beaten.holdout.model_earns_its_place and beaten.holdout.rule.mae == 0
    assert (beaten.customer_value["clv_basis"] != "model").all()
    assert "did not beat the simple rate rule" in value.verdict(beaten).reason


def test_win_back_segments_are_described_by_their_members():
    """On habit data At Risk and Can't Lose are once-frequent customers; when most customers
    bought once, a high FM score is a big single order, and the page says so."""
    from crm_analysis import value

    data = generate(SyntheticConfig(n_customers=1_500, seed=3, dirty=False))
    habit = " ".join(value.key_findings(value.analyse(data.clean["orders"], data.config.end)))
    assert "once frequent or big spenders" in habit
    rng = np.random.default_rng(0)
    n = 3_000
    first = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    repeat = rng.random(n) < 0.05  # 95% one-time buyers
    orders = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)] + [f"c{i}" for i in np.flatnonzero(repeat)],
        "order_date": list(first) + list(first[repeat] + pd.Timedelta(days=30)),
        "amount": rng.gamma(2.0, 40.0, n + int(repeat.sum()))})
    once = " ".join(value.key_findings(value.analyse(orders, "2023-12-31")))
    assert "big spenders, most of them on a single order," in once
    assert "once frequent" not in once
