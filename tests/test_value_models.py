"""Tests of crm_analysis.value: published CDNOW estimates, exact derivatives, likelihood checks
against numerical integration, prediction identities, parameter recovery, validation, CLV."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import gammaln, hyp2f1

from crm_analysis.features import calibration_holdout
from crm_analysis.value import (
    BetaGeo,
    ConvergenceError,
    GammaGamma,
    NotFittedError,
    ParetoNBD,
    customer_lifetime_value,
    per_period_rate,
)
from crm_analysis.value._fitting import CompressedRFM

CDNOW = Path(__file__).parent / "data" / "CDNOW_sample.txt"


# ---------------------------------------------------------------------------------------------
# small vectorised simulators (the model's own generative story, continuous time)
# ---------------------------------------------------------------------------------------------
def simulate_bg(n: int, r: float, alpha: float, a: float, b: float, T: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
    """BG/NBD: Poisson(lambda) purchases; after each repeat purchase drop out with prob. p."""
    lam, p = rng.gamma(r, 1.0 / alpha, n), rng.beta(a, b, n)
    n_alive_purchases = rng.geometric(p)          # dies right after this repeat purchase
    k = rng.poisson(lam * T)                      # purchases in (0, T] had she stayed alive
    x = np.minimum(n_alive_purchases, k)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)  # x-th of k uniform times
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def simulate_pareto(n: int, r: float, alpha: float, s: float, beta: float, T: np.ndarray,
                    rng: np.random.Generator) -> pd.DataFrame:
    """Pareto/NBD: Poisson(lambda) purchases until an Exp(mu) death time."""
    lam, mu = rng.gamma(r, 1.0 / alpha, n), rng.gamma(s, 1.0 / beta, n)
    active = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * active)
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = active[pos] * rng.beta(x[pos], 1)  # the last of x uniform times
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def simulate_gg(n: int, p: float, q: float, gamma: float, rng: np.random.Generator
                ) -> pd.DataFrame:
    """Gamma-Gamma: x ~ 1 + Poisson(3); spend per transaction Gamma(p, nu), nu ~ Gamma(q, gamma)."""
    x = 1 + rng.poisson(3.0, n)
    nu = rng.gamma(q, 1.0 / gamma, n)
    return pd.DataFrame({"frequency": x, "monetary_value": rng.gamma(p * x, 1.0 / nu) / x})


# ---------------------------------------------------------------------------------------------
# CDNOW published estimates
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    raw = pd.read_csv(CDNOW, sep=r"\s+", header=None,
                      names=["master_id", "customer_id", "date", "cds", "amount"])
    raw["order_date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return calibration_holdout(raw, calibration_end="1997-09-30", as_of="1998-06-30",
                               time_scaler=7)


@pytest.fixture(scope="module")
def bg(cdnow: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow)


@pytest.fixture(scope="module")
def pnbd(cdnow: pd.DataFrame) -> ParetoNBD:
    return ParetoNBD().fit(cdnow)


@pytest.fixture(scope="module")
def gg(cdnow: pd.DataFrame) -> GammaGamma:
    return GammaGamma().fit(cdnow)


def test_cdnow_bgnbd(bg: BetaGeo) -> None:
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert round(bg.params_[name], 3) == value, name
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    assert bg.n_customers_ == 2357 and bg.converged_
    assert list(bg.confidence_intervals_.columns) == ["estimate", "standard_error", "lower",
                                                      "upper"]
    ci = bg.confidence_intervals_
    assert ((ci["lower"] < ci["estimate"]) & (ci["estimate"] < ci["upper"])).all()
    assert set(bg.standard_errors_) == set(published)


def test_cdnow_pareto_nbd(pnbd: ParetoNBD) -> None:
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    for name, value in published.items():
        assert round(pnbd.params_[name], 3) == value, name
    assert pnbd.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_cdnow_gamma_gamma(gg: GammaGamma) -> None:
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert round(gg.params_[name], 2) == value, name
    assert gg.n_customers_ == 946
    assert gg.n_excluded_ == {"frequency_zero": 1411, "non_positive_spend": 0}


def test_cdnow_holdout_forecast_is_sensible(cdnow: pd.DataFrame, bg: BetaGeo,
                                            pnbd: ParetoNBD) -> None:
    actual = cdnow["frequency_holdout"].sum()  # 1,882 repeat purchase days in 39 weeks
    for model in (bg, pnbd):
        predicted = model.expected_purchases(39.0, cdnow["frequency"], cdnow["recency"],
                                             cdnow["T"]).sum()
        assert 0.85 * actual < predicted < 1.0 * actual


def test_log_likelihood_method_sums_to_total(cdnow: pd.DataFrame, bg: BetaGeo,
                                             pnbd: ParetoNBD) -> None:
    for model in (bg, pnbd):
        per_customer = model.log_likelihood(cdnow["frequency"], cdnow["recency"], cdnow["T"])
        assert per_customer.sum() == pytest.approx(model.log_likelihood_, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# exact derivatives and likelihood formulas
# ---------------------------------------------------------------------------------------------
def central_gradient(f, z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    return np.array([(f(z + e)[0] - f(z - e)[0]) / (2 * h) for e in np.eye(len(z)) * h])


@pytest.mark.parametrize("z", [np.log([0.35, 4.0, 1.1, 2.0]), np.log([2.0, 0.5, 0.3, 8.0])])
def test_bg_gradient_and_hessian_are_exact(z: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    d = simulate_bg(3000, 0.3, 5.0, 0.8, 2.5, rng.uniform(0, 40, 3000), rng)
    data = CompressedRFM.from_arrays(*(d[c].to_numpy(float) for c in ("frequency", "recency",
                                                                      "T")))
    f = BetaGeo()._objective(data)
    _, g, hess = f(z, hessian=True)
    np.testing.assert_allclose(g, central_gradient(f, z), rtol=1e-6, atol=1e-5)
    num_h = np.array([(f(z + e)[1] - f(z - e)[1]) / 2e-6 for e in np.eye(4) * 1e-6])
    np.testing.assert_allclose(hess, num_h, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.6, 11.7), (0.55, 20.0, 1.3, 3.0),
                                    (1.5, 2.0, 0.4, 40.0)])
def test_pareto_gradient_matches_finite_differences(params: tuple) -> None:
    rng = np.random.default_rng(4)
    d = simulate_pareto(3000, 0.5, 8.0, 0.7, 12.0, rng.uniform(0, 40, 3000), rng)
    data = CompressedRFM.from_arrays(*(d[c].to_numpy(float) for c in ("frequency", "recency",
                                                                      "T")))
    f = ParetoNBD()._objective(data)
    z = np.log(params)
    _, g = f(z)
    np.testing.assert_allclose(g, central_gradient(f, z, 1e-5), rtol=1e-6, atol=1e-4)


def test_gamma_gamma_gradient_and_hessian_are_exact() -> None:
    d = simulate_gg(2000, 6.0, 3.8, 15.0, np.random.default_rng(5))
    x, m = d["frequency"].to_numpy(float), d["monetary_value"].to_numpy()
    f = GammaGamma._objective(x, m, np.ones_like(x))
    z = np.log([4.0, 3.0, 20.0])
    _, g, hess = f(z, hessian=True)
    np.testing.assert_allclose(g, central_gradient(f, z), rtol=1e-6, atol=1e-5)
    num_h = np.array([(f(z + e)[1] - f(z - e)[1]) / 2e-6 for e in np.eye(3) * 1e-6])
    np.testing.assert_allclose(hess, num_h, rtol=1e-5, atol=1e-4)


def pareto_log_likelihood_by_quadrature(params: tuple, x: float, t_x: float, T: float) -> float:
    """ln L with L = G(r+x) a^r b^s / G(r) [(a+T)^-(r+x) (b+T)^-s
    + s int_tx^T (a+u)^-(r+x) (b+u)^-(s+1) du], the integrand scaled by its value at t_x (so that
    large x cannot underflow)."""
    r, alpha, s, beta = params

    def g(u: float) -> float:
        return -(r + x) * np.log(alpha + u) - (s + 1) * np.log(beta + u)

    integral, _ = integrate.quad(lambda u: np.exp(g(u) - g(t_x)), t_x, T, epsabs=0,
                                 epsrel=1e-13, limit=500)
    log_const = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    if integral == 0:
        return float(log_const + alive)
    return float(log_const + np.logaddexp(alive, np.log(s) + g(t_x) + np.log(integral)))


@pytest.mark.parametrize("params", [(0.55, 10.6, 0.6, 11.7), (0.55, 11.7, 0.6, 10.6),
                                    (0.8, 0.5, 1.0, 30.0), (0.3, 50.0, 2.0, 0.7),
                                    (0.8, 500.0, 0.5, 0.1), (0.5, 0.5, 0.7, 100.0),
                                    (3.0, 1.0, 1.0, 1.0)])
def test_pareto_likelihood_equals_direct_integration(params: tuple) -> None:
    """Both alpha >= beta and alpha < beta, including the region (alpha >> beta, many purchases)
    where scipy's hyp2f1 fails and the series fallback is used."""
    model = ParetoNBD()
    model.params_ = dict(zip(model.param_names, params, strict=True))
    rows = [(0, 0.0, 30.0), (1, 5.0, 30.0), (4, 29.0, 30.0), (12, 2.0, 38.0), (3, 30.0, 30.0),
            (0, 0.0, 0.0), (25, 10.0, 11.0), (200, 1.0, 300.0), (50, 2.0, 300.0),
            (120, 299.0, 300.0)]
    x, t_x, T = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    ll = model.log_likelihood(x, t_x, T)
    direct = [pareto_log_likelihood_by_quadrature(params, *row) for row in rows]
    np.testing.assert_allclose(ll, direct, rtol=1e-9, atol=1e-9)


def test_bg_expected_purchases_matches_paper_form(bg: BetaGeo) -> None:
    """Our Euler-transformed eq. 10 equals the paper's direct form where the latter is stable."""
    r, alpha, a, b = (bg.params_[k] for k in ("r", "alpha", "a", "b"))
    x = np.array([0, 1, 2, 5, 10, 3.0])
    t_x = np.array([0, 10, 30, 35, 38, 5.0])
    T = np.array([20, 38, 38, 38, 38.5, 30.0])
    t = 39.0
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x,
                                                                      a + b + x - 1, z)
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    direct = (a + b + x - 1) / (a - 1) * bracket / denominator
    np.testing.assert_allclose(bg.expected_purchases(t, x, t_x, T), direct, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# prediction identities
# ---------------------------------------------------------------------------------------------
HISTORIES = pd.DataFrame({"frequency": [0, 1, 2, 7, 30, 0],
                          "recency": [0.0, 3.0, 30.0, 37.0, 38.0, 0.0],
                          "T": [38.0, 38.0, 38.0, 38.0, 38.5, 0.0]},
                         index=pd.Index(list("abcdef"), name="customer_id"))


@pytest.mark.parametrize("model_name", ["bg", "pnbd"])
def test_prediction_identities(model_name: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(model_name)
    h = HISTORIES
    args = (h["frequency"], h["recency"], h["T"])
    zero = model.expected_purchases(0.0, *args)
    assert type(zero) is np.ndarray and zero.shape == (len(h),)  # one type: an array
    np.testing.assert_array_equal(zero, 0.0)
    e10, e20 = model.expected_purchases(10.0, *args), model.expected_purchases(20.0, *args)
    assert ((e10 >= 0) & (e20 > e10)).all()
    alive = model.probability_alive(*args)
    assert ((alive > 0) & (alive <= 1)).all()
    assert alive[h.index.get_loc("f")] == pytest.approx(1.0)  # T = 0: just acquired
    p0 = model.probability_no_purchase(0.0, *args)
    np.testing.assert_allclose(p0, 1.0)
    p_t = model.probability_no_purchase(20.0, *args)
    assert ((p_t < 1) & (p_t >= 1 - alive - 1e-12)).all()
    p_long = model.probability_no_purchase(1e7, *args)
    assert (p_long <= model.probability_no_purchase(1e3, *args) + 1e-12).all()
    # a new customer: conditional with (0, 0, 0) equals the unconditional expectation
    assert model.expected_purchases(39.0, 0, 0, 0) == pytest.approx(
        model.expected_purchases_new(39.0), rel=1e-12)
    dist = model.purchase_count_distribution(39.0, 400)
    assert dist.sum() == pytest.approx(1.0, abs=1e-9)
    assert (dist >= 0).all()
    assert dist @ np.arange(401) == pytest.approx(model.expected_purchases_new(39.0), rel=1e-8)


def test_bg_probability_alive_is_one_without_repeat_purchase(bg: BetaGeo) -> None:
    """The documented BG/NBD caveat: no repeat purchase means no chance yet to drop out."""
    np.testing.assert_array_equal(bg.probability_alive([0, 0, 0], [0, 0, 0], [1.0, 50.0, 500.0]),
                                  1.0)
    # and P(no purchase in t) then is just the NBD zero term
    r, alpha = bg.params_["r"], bg.params_["alpha"]
    assert bg.probability_no_purchase(10.0, 0, 0, 30.0) == pytest.approx(
        ((alpha + 30) / (alpha + 40)) ** r, rel=1e-12)
    assert bg.probability_no_purchase(1e9, 3, 10.0, 30.0) == pytest.approx(
        1 - bg.probability_alive(3, 10.0, 30.0), abs=1e-4)


def test_bg_probability_no_purchase_is_likelihood_ratio(bg: BetaGeo) -> None:
    x, t_x, T, t = np.array([0, 2, 6.0]), np.array([0, 20, 35.0]), np.array([38.0] * 3), 13.0
    ratio = np.exp(bg.log_likelihood(x, t_x, T + t) - bg.log_likelihood(x, t_x, T))
    np.testing.assert_allclose(bg.probability_no_purchase(t, x, t_x, T), ratio, rtol=1e-12)


def test_pareto_expected_purchases_limits(pnbd: ParetoNBD) -> None:
    r, alpha, s, beta = (pnbd.params_[k] for k in ("r", "alpha", "s", "beta"))
    t = 52.0
    assert pnbd.expected_purchases_new(t) == pytest.approx(
        r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1)), rel=1e-12)


def test_scalar_inputs_give_0d_arrays(bg: BetaGeo, gg: GammaGamma) -> None:
    """Issue 19: predictions return one type, a float64 array of the inputs' broadcast shape."""
    for got in (bg.expected_purchases(10.0, 2, 10.0, 30.0), bg.probability_alive(2, 10.0, 30.0),
                bg.expected_purchases_new(10.0), gg.expected_average_spend(2, 30.0)):
        assert type(got) is np.ndarray and got.shape == () and got.dtype == np.float64
    assert float(bg.probability_alive(2, 10.0, 30.0)) == pytest.approx(
        bg.probability_alive([2], [10.0], [30.0])[0], rel=0)


def test_gamma_gamma_expected_spend(gg: GammaGamma, cdnow: pd.DataFrame) -> None:
    p, q, gamma = (gg.params_[k] for k in ("p", "q", "gamma"))
    spend = gg.expected_average_spend(cdnow["frequency"], cdnow["monetary_value"])
    assert type(spend) is np.ndarray and spend.shape == (len(cdnow),)
    zero = cdnow["frequency"] == 0
    np.testing.assert_allclose(spend[zero], gamma * p / (q - 1))
    assert gg.population_mean_spend() == pytest.approx(gamma * p / (q - 1))
    # shrinkage: between the customer's own mean and the population mean
    rep = cdnow[~zero]
    own, pop = rep["monetary_value"], gamma * p / (q - 1)
    lo, hi = np.minimum(own, pop), np.maximum(own, pop)
    assert ((spend[~zero] >= lo - 1e-9) & (spend[~zero] <= hi + 1e-9)).all()
    # lifetimes' documented CDNOW figures: mean conditional spend over all customers 35.253
    # (its summary file's amounts are rounded slightly differently: mean spend 35.0786 there,
    # 35.0778 here)
    assert rep["monetary_value"].mean() == pytest.approx(35.078, abs=0.001)
    assert spend.mean() == pytest.approx(35.253, abs=0.01)


# ---------------------------------------------------------------------------------------------
# parameter recovery (simulated data, fixed seeds)
# ---------------------------------------------------------------------------------------------
def assert_recovered(model, truth: dict[str, float], max_rel_halfwidth: float) -> None:
    ci = model.confidence_intervals_
    for name, value in truth.items():
        lower, upper = ci.loc[name, "lower"], ci.loc[name, "upper"]
        assert lower <= value <= upper, f"{name}={value} outside [{lower:.4g}, {upper:.4g}]"
        # meaningful: the interval is not trivially wide
        assert (upper - lower) / 2 / value < max_rel_halfwidth, name


def test_bg_parameter_recovery() -> None:
    rng = np.random.default_rng(2024)
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
    data = simulate_bg(20_000, *truth.values(), T=rng.uniform(30, 80, 20_000), rng=rng)
    model = BetaGeo().fit(data)
    assert_recovered(model, truth, max_rel_halfwidth=0.25)


def test_pareto_parameter_recovery() -> None:
    rng = np.random.default_rng(7)
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 15.0}
    data = simulate_pareto(20_000, *truth.values(), T=rng.uniform(30, 80, 20_000), rng=rng)
    model = ParetoNBD().fit(data)
    assert_recovered(model, truth, max_rel_halfwidth=0.3)


def test_gamma_gamma_parameter_recovery() -> None:
    truth = {"p": 6.0, "q": 3.8, "gamma": 15.0}
    model = GammaGamma().fit(simulate_gg(20_000, *truth.values(), np.random.default_rng(11)))
    assert_recovered(model, truth, max_rel_halfwidth=0.25)


# ---------------------------------------------------------------------------------------------
# fitting behaviour and validation
# ---------------------------------------------------------------------------------------------
def test_weights_equal_duplicated_rows_and_deterministic(cdnow: pd.DataFrame) -> None:
    small = cdnow.iloc[:600]
    doubled = pd.concat([small, small])
    a = BetaGeo().fit(doubled)
    b = BetaGeo().fit(frequency=small["frequency"], recency=small["recency"], T=small["T"],
                      weights=np.full(len(small), 2.0))
    for k in a.params_:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-8)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-10)
    assert BetaGeo(random_state=5).fit(small).params_ == BetaGeo(random_state=5).fit(
        small).params_


def test_penalizer_shrinks(cdnow: pd.DataFrame, bg: BetaGeo) -> None:
    pen = BetaGeo(penalizer_coef=0.01).fit(cdnow)
    assert sum(v**2 for v in pen.params_.values()) < sum(v**2 for v in bg.params_.values())
    assert pen.log_likelihood_ < bg.log_likelihood_


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": [1, -1], "recency": [1, 0], "T": [2, 2]}, "frequency must be >= 0"),
        ({"frequency": [1, 1], "recency": [3, 0], "T": [2, 2]}, "recency must be <= T"),
        ({"frequency": [0, 1], "recency": [1, 1], "T": [2, 2]}, "recency must be 0"),
        ({"frequency": [1, np.nan], "recency": [1, 0], "T": [2, 2]}, "missing or infinite"),
        ({"frequency": [1.5, 1], "recency": [1, 1], "T": [2, 2]}, "whole numbers"),
        ({"frequency": [1, 1], "recency": [1, 1], "T": [2, 2, 3]}, "different lengths"),
        ({"frequency": [], "recency": [], "T": []}, "empty"),
    ],
)
@pytest.mark.parametrize("model_cls", [BetaGeo, ParetoNBD])
def test_input_validation(model_cls, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        model_cls().fit(**kwargs)


def test_missing_columns_and_not_fitted() -> None:
    with pytest.raises(ValueError, match="missing column"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1], "recency": [1.0]}))
    with pytest.raises(NotFittedError):
        BetaGeo().probability_alive(1, 1, 2)
    with pytest.raises(NotFittedError):
        GammaGamma().expected_average_spend(1, 2.0)


@pytest.mark.parametrize("model_cls", [BetaGeo, ParetoNBD])
def test_unidentified_fit_raises_convergence_error(model_cls) -> None:
    """Nobody ever bought again: the dropout process is not identified."""
    with pytest.raises(ConvergenceError, match="time_scaler") as info:
        model_cls().fit(frequency=np.zeros(500), recency=np.zeros(500),
                        T=np.linspace(1, 50, 500))
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_gamma_gamma_exclusions_are_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    data = simulate_gg(500, 6.0, 3.8, 15.0, np.random.default_rng(1))
    data.loc[:9, "monetary_value"] = 0.0
    data.loc[10:14, "monetary_value"] = -5.0
    data = pd.concat([data, pd.DataFrame({"frequency": [0] * 7, "monetary_value": [0.0] * 7})],
                     ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="crm_analysis.value.gamma_gamma"):
        model = GammaGamma().fit(data)
    assert model.n_excluded_ == {"frequency_zero": 7, "non_positive_spend": 15}
    assert model.n_customers_ == 485
    assert "monetary_value <= 0" in caplog.text
    with pytest.raises(ValueError, match="no customer"):
        GammaGamma().fit(frequency=[0, 0], monetary_value=[0.0, 0.0])


# ---------------------------------------------------------------------------------------------
# customer lifetime value
# ---------------------------------------------------------------------------------------------
def test_clv_identities(cdnow: pd.DataFrame, bg: BetaGeo, gg: GammaGamma) -> None:
    spend = gg.expected_average_spend(cdnow["frequency"], cdnow["monetary_value"])
    purchases = bg.expected_purchases(52.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    undiscounted = customer_lifetime_value(bg, gg, cdnow, horizon=52, discount_rate=0.0)
    np.testing.assert_allclose(undiscounted, purchases * spend, rtol=1e-10)
    one_step = customer_lifetime_value(bg, gg, cdnow, horizon=52, discount_rate=0.0, step=52)
    np.testing.assert_allclose(one_step, undiscounted, rtol=1e-10)
    weekly = per_period_rate(0.10, 365.25 / 7)
    assert (1 + weekly) ** (365.25 / 7) == pytest.approx(1.10)
    discounted = customer_lifetime_value(bg, gg, cdnow, horizon=52, discount_rate=weekly,
                                         margin=0.3)
    assert discounted.name == "clv" and (discounted.index == cdnow.index).all()
    assert ((discounted <= 0.3 * undiscounted + 1e-12) & (discounted > 0)).all()
    # the discounted value lies between the value discounted fully (end) and not at all
    assert (discounted >= 0.3 * undiscounted / 1.10 - 1e-9).all()
    # a partial last step ends exactly at the horizon
    partial = customer_lifetime_value(bg, gg, cdnow, horizon=10.5, discount_rate=0.0, step=4)
    np.testing.assert_allclose(
        partial, bg.expected_purchases(10.5, cdnow["frequency"], cdnow["recency"], cdnow["T"])
        * spend, rtol=1e-10)


# ---------------------------------------------------------------------------------------------
# numerics of the special functions in the regions where scipy's hyp2f1 fails
# ---------------------------------------------------------------------------------------------
def series_2f1(a: float, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Reference: plain positive-term series, summed until the terms are negligible."""
    total, term = np.ones_like(z), np.ones_like(z)
    for k in range(200_000):
        term = term * (a + k) * (b + k) / ((c + k) * (1 + k)) * z
        total += term
        if np.all(term < 1e-18 * total):
            break
    return total


@pytest.mark.parametrize("a", [1.0, 2.0])
def test_pareto_hypergeometric_is_accurate_where_scipy_fails(a: float) -> None:
    from crm_analysis.value.pareto_nbd import _hyp2f1_pos

    rng = np.random.default_rng(99)
    n = 400
    r = np.where(rng.random(n) < 0.3, 1.0, rng.uniform(0.05, 5, n))  # exact integers too
    s = np.where(rng.random(n) < 0.3, 2.0, rng.uniform(0.05, 5, n))
    x = rng.integers(0, 400, n)
    z = 1 - 10 ** rng.uniform(-3, 0, n)
    for b in (r + x, s + 1):  # the alpha >= beta and alpha < beta forms
        c = r + s + x + 1
        if a == 2.0:
            b, c = b + 1, c + 1
        np.testing.assert_allclose(_hyp2f1_pos(a, b, c, z), series_2f1(a, b, c, z), rtol=1e-9)


def test_bg_expected_purchases_finite_and_increasing_for_long_horizons() -> None:
    model = BetaGeo()
    for params in [(0.243, 4.414, 0.793, 2.426), (2.0, 5.0, 2.0, 0.5)]:  # r = a: integer case
        model.params_ = dict(zip(model.param_names, params, strict=True))
        t = np.logspace(-1, 5, 60)
        for x, t_x in [(0, 0.0), (5, 30.0), (300, 30.0)]:
            e = np.asarray(model.expected_purchases(t, x, t_x, 38.0))
            assert np.isfinite(e).all() and (np.diff(e) >= 0).all()


# ---------------------------------------------------------------------------------------------
# Pareto/NBD near z = 1: bounded-time quadrature of 2F1(1, b; c; z) (it used to hang)
# ---------------------------------------------------------------------------------------------
def mpmath_log_2f1(a: int, b, c, eps, as_float: bool = True):
    """Reference ln 2F1(a, b; c; 1 - eps) at 30 digits: mpmath's tanh-sinh quadrature of Euler's
    integral in s = 1 - t, with q = s^min(c-a, 1) removing the endpoint power and breakpoints at
    geometric multiples of eps. (mpmath.hyp2f1 itself is not used: mpmath 1.4.1 returned
    -2.4e194 for 2F1(1, 1624.87; 2722.23; 0.8254) at any precision, true value 1.9716.)"""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(30):
        a, b, c, eps = mp.mpf(a), mp.mpf(b), mp.mpf(c), mp.mpf(eps)
        e = min(c - a, mp.mpf(1))

        def f(q):
            s = q ** (1 / e)
            return s ** (c - a - e) * (1 - s) ** (a - 1) * (eps + (1 - eps) * s) ** (-b)

        pts, p = [mp.mpf(0)], eps * mp.mpf(10) ** -6 / max(b, 1)
        while p < 1:
            pts.append(p ** e)
            p *= 4
        pts.append(mp.mpf(1))
        value = mp.log(mp.quad(f, pts) / e) + mp.loggamma(c) - mp.loggamma(a) - mp.loggamma(c - a)
        return float(value) if as_float else value


def test_pareto_log_hyp2f1_matches_mpmath_on_extreme_grid() -> None:
    """ln 2F1(1, b; c; 1 - eps) to 1e-12 down to 1 - z = 1e-12, b = 5000 and c - b near 0, 1
    and large, through the same entry point as the likelihood (scipy below z = 0.9)."""
    from crm_analysis.value.pareto_nbd import _log_hyp2f1

    grid = [(b, d, eps) for b in (0.02, 1.3, 60.0, 5000.0)
            for d in (0.02, 0.7, 1.0 + 1e-9, 2.0, 3000.0) for eps in (1e-12, 1e-6, 0.05, 0.3)]
    b, d, eps = (np.array(v) for v in zip(*grid, strict=True))
    c = b + d
    keep = c > 1.0
    b, c, eps = b[keep], c[keep], eps[keep]
    got, _ = _log_hyp2f1(b, c, 1.0 - eps, eps)
    ref = np.array([mpmath_log_2f1(1, *v) for v in zip(b, c, eps, strict=True)])
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_pareto_hyp2f1_derivatives_match_mpmath() -> None:
    """The analytic b, c and z derivatives of ln 2F1 from the quadrature nodes."""
    from crm_analysis.value.pareto_nbd import _log_hyp2f1_quad

    mp = pytest.importorskip("mpmath")
    for b, c, eps in [(0.3, 1.5, 1e-10), (2500.0, 2502.6, 1e-9), (1.7, 900.0, 1e-4),
                      (4e5, 4e5 + 3.2, 2e-6)]:
        _, g = _log_hyp2f1_quad(1, np.array([b]), np.array([c]), np.array([eps]), moments=True)
        with mp.workdps(30):
            # central differences at 30 digits, steps far below the scales min(b, c - b), eps
            hb, hc, he = (mp.mpf(1e-9) * v for v in (min(b, c - b), min(c, c - b), eps))

            def f(db=0, dc=0, de=0, b=b, c=c, eps=eps):
                return mpmath_log_2f1(1, mp.mpf(b) + db, mp.mpf(c) + dc, mp.mpf(eps) + de,
                                      as_float=False)

            ref = [float((f(db=hb) - f(db=-hb)) / (2 * hb)),
                   float((f(dc=hc) - f(dc=-hc)) / (2 * hc)),
                   float(-(f(de=he) - f(de=-he)) / (2 * he))]
        np.testing.assert_allclose(g[0], ref, rtol=1e-8)


@pytest.mark.parametrize("params", [(0.5, 50.0, 0.5, 1e-4), (0.5, 1e-4, 0.5, 50.0),
                                    (1.4, 12.9, 4.7e5, 7.1e7), (0.05, 3e8, 2e-3, 1e-3)])
def test_pareto_log_ell_at_extreme_parameters_is_fast_and_right(params: tuple) -> None:
    """alpha >> beta, alpha << beta (1 - z ~ 1e-6..1e-12) and the s, beta -> infinity ridge that
    real data drove the optimiser onto: this used to sum millions of series terms per row."""
    import time

    from crm_analysis.value.pareto_nbd import _log_ell

    x = np.repeat([0.0, 1.0, 7.0, 60.0, 3000.0], 40)
    y = np.tile(np.linspace(0.0, 0.05, 40), 5)
    start = time.perf_counter()
    values, grad = _log_ell(params, x, y, grad=True)
    assert time.perf_counter() - start < 1.0
    assert np.isfinite(values).all() and np.isfinite(grad).all()
    model = ParetoNBD()
    model.params_ = dict(zip(model.param_names, params, strict=True))
    rows = [(0, 0.0, 30.0), (3, 2.0, 30.0), (60, 29.0, 30.0), (5, 0.01, 0.05)]
    xs, txs, Ts = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    direct = [pareto_log_likelihood_by_quadrature(params, *row) for row in rows]
    np.testing.assert_allclose(model.log_likelihood(xs, txs, Ts), direct, rtol=1e-9, atol=1e-9)


def test_pareto_gradient_matches_finite_differences_near_z_one() -> None:
    rng = np.random.default_rng(4)
    d = simulate_pareto(2000, 0.5, 8.0, 0.7, 12.0, rng.uniform(0, 40, 2000), rng)
    data = CompressedRFM.from_arrays(*(d[c].to_numpy(float) for c in ("frequency", "recency",
                                                                      "T")))
    f = ParetoNBD()._objective(data)
    for params in [(0.6, 2e4, 0.8, 0.5), (0.4, 1e-3, 1.5, 3e3)]:  # 1 - z ~ 1e-5..1e-7
        z = np.log(params)
        _, g = f(z)
        np.testing.assert_allclose(g, central_gradient(f, z, 1e-5), rtol=1e-6, atol=1e-4)


def test_pareto_fit_on_the_dropout_ridge_finishes() -> None:
    """A common dropout rate (no heterogeneity) sends s and beta to infinity together, with
    1 - z -> 0 and b = s + 1 large: the fit must end (converged or ConvergenceError), quickly."""
    import time

    rng = np.random.default_rng(7)
    n = 300
    T = rng.uniform(20, 100, n)
    active = np.minimum(rng.exponential(1 / 0.007, n), T)
    x = rng.poisson(rng.gamma(1.5, 1 / 12.0, n) * active)
    t_x = np.where(x > 0, active * rng.beta(np.maximum(x, 1), 1), 0.0)
    start = time.perf_counter()
    try:
        model = ParetoNBD(random_state=0).fit(frequency=x, recency=t_x, T=T)
        assert np.isfinite(model.log_likelihood_)
    except ConvergenceError as exc:
        assert "time_scaler" in str(exc)
    assert time.perf_counter() - start < 30.0


def test_pareto_unevaluable_likelihood_raises_convergence_error(monkeypatch) -> None:
    """If 2F1 could not be evaluated the objective is infinite (the optimiser backs off), and a
    fit that never finds a finite value raises ConvergenceError with advice, never NaN."""
    import crm_analysis.value.pareto_nbd as pnbd

    def broken(b, c, z, eps, grad=False):
        return np.full(len(b), np.nan), (np.full((len(b), 3), np.nan) if grad else None)

    monkeypatch.setattr(pnbd, "_log_hyp2f1", broken)
    rng = np.random.default_rng(2)
    d = simulate_pareto(300, 0.5, 8.0, 0.7, 12.0, rng.uniform(1, 40, 300), rng)
    with pytest.raises(ConvergenceError, match="time_scaler"):
        ParetoNBD().fit(d)


def test_bgnbd_without_dropout_predicts_the_nbd_limit() -> None:
    """A fit on its bound (a = e^-25: no dropout, as on UCI's calibration half year): eq. 10's
    2F1 fails in floating point there, and the prediction is the NBD limit (r + x) t / (alpha + T).
    """
    model = BetaGeo()
    model.params_ = {"r": 0.743, "alpha": 8.82, "a": 1.39e-11, "b": 0.199}
    x, t_x, age = np.array([0.0, 3, 12]), np.array([0.0, 10, 25]), np.array([20.0, 26, 26])
    got = np.asarray(model.expected_purchases(26.0, x, t_x, age), float)
    alive = np.asarray(model.probability_alive(x, t_x, age), float)
    np.testing.assert_allclose(alive, 1.0, atol=1e-9)
    np.testing.assert_allclose(got, (0.743 + x) * 26.0 / (8.82 + age), rtol=1e-6)
    # a small but ordinary a still uses eq. 10 (close to the limit, not equal to it)
    model.params_ = {"r": 0.743, "alpha": 8.82, "a": 0.05, "b": 0.199}
    ordinary = np.asarray(model.expected_purchases(26.0, x, t_x, age), float)
    assert np.isfinite(ordinary).all() and not np.allclose(ordinary, got)
