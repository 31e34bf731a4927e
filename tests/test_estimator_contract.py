"""The scikit-learn estimator contract, checked on every model of the package (issue 19).

In the spirit of ``sklearn.utils.estimator_checks.check_estimator`` for models that take a
customer summary or feature frame rather than ``X, y``, ONE parametrised test
(:func:`test_the_estimator_contract`) checks every model class: the value models (BG/NBD,
Pareto/NBD, Gamma-Gamma), the churn models (``ColumnScore``, ``OutOfTimeCalibrated``), the
potential spend models (the two simple rules, ``BTYDSpend``, ``TwoStageSpend``,
``BoostedSpend``) and the uplift model (``TwoModelUplift``):

- a prediction before ``fit`` raises scikit-learn's ``NotFittedError``;
- ``repr`` works; ``clone`` gives an unfitted copy with equal parameters, of a fitted model too;
- ``fit`` returns the model itself;
- every prediction is a numpy float64 array, one value per row (the one rule,
  ``crm_analysis.value._fitting.PREDICTION_RULE``; 0-d for a value model's scalar inputs);
- a pickled model predicts exactly the same;
- bad input (missing columns, negative counts, NaN) is refused with a ``ValueError`` that says
  what is wrong.

Fixtures are small: the UCI summary (4,334 customers) for the value models, 400 of its rows with
made-up features and targets for the others.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from crm_analysis.value import BetaGeo, ConvergenceError, GammaGamma, ParetoNBD, fit_with_fallback

SUMMARY = pd.read_parquet(Path(__file__).parent / "data"
                          / "online_retail_uci_weekly_summary.parquet")
"""A real summary in weeks: the UCI export's 4,334 customers (see ONLINE_RETAIL_SOURCE.md)."""


def _predict(model) -> np.ndarray:
    if isinstance(model, GammaGamma):
        return model.expected_average_spend(SUMMARY["frequency"], SUMMARY["monetary_value"])
    return model.expected_purchases(10.0, SUMMARY["frequency"], SUMMARY["recency"], SUMMARY["T"])


MODELS = [BetaGeo, ParetoNBD, GammaGamma]


@pytest.fixture(scope="module", params=MODELS, ids=lambda cls: cls.__name__)
def fitted(request):
    return request.param(random_state=3).fit(SUMMARY)


# ---------------------------------------------------------------------------------------------
# the one contract test, over every model class
# ---------------------------------------------------------------------------------------------
N = 400
RNG = np.random.default_rng(19)
FRAME = pd.DataFrame({
    **{c: SUMMARY[c].iloc[:N] for c in ("frequency", "recency", "T", "monetary_value")},
    "tenure_days": SUMMARY["T"].iloc[:N] * 7.0,
    "total_spend": (SUMMARY["frequency"].iloc[:N] + 1) * SUMMARY["monetary_value"].iloc[:N],
    "spend_last_window": np.where(RNG.random(N) < 0.5, RNG.gamma(2.0, 40.0, N), np.nan),
    "recency_days": SUMMARY["T"].iloc[:N].to_numpy() * 7.0 - SUMMARY["recency"].iloc[:N] * 7.0,
    "bgnbd_p_no_purchase": RNG.uniform(0.05, 0.95, N),
})
"""400 customers: the UCI summary columns (weeks) and made-up features (days, currency)."""
TARGET = pd.Series(np.where(RNG.random(N) < 0.4, RNG.gamma(2.0, 60.0, N), 0.0),
                   index=FRAME.index)
CHURNED = (RNG.random(N) < FRAME["bgnbd_p_no_purchase"]).astype(float).to_numpy()
CUTOFFS = np.repeat(pd.to_datetime(["2011-06-30", "2011-09-30"]).to_numpy(), N // 2)
TREATED = RNG.random(N) < 0.6
CONVERTED = RNG.random(N) < 0.2 + 0.1 * TREATED
UPLIFT_X = FRAME[["recency_days", "tenure_days", "total_spend"]]


def _with(frame: pd.DataFrame, column: str, value: float, row: int = 0) -> pd.DataFrame:
    out = frame.copy()
    out.iloc[row, out.columns.get_loc(column)] = value
    return out


def _history_predictions(model) -> dict[str, np.ndarray]:
    h = (SUMMARY["frequency"], SUMMARY["recency"], SUMMARY["T"])
    out = {"expected_purchases": model.expected_purchases(10.0, *h),
           "probability_alive": model.probability_alive(*h),
           "probability_no_purchase": model.probability_no_purchase(10.0, *h),
           "log_likelihood": model.log_likelihood(*h),
           "expected_purchases_new": model.expected_purchases_new(SUMMARY["T"])}
    if hasattr(model, "log_probability_alive"):
        out["log_probability_alive"] = model.log_probability_alive(*h)
    return out


def _history_scalars(model) -> list:
    return [model.expected_purchases(10.0, 2, 10.0, 30.0), model.probability_alive(2, 10.0, 30.0),
            model.probability_no_purchase(10.0, 2, 10.0, 30.0), model.log_likelihood(2, 10.0, 30.0),
            model.expected_purchases_new(10.0)]


@dataclass
class Case:
    """How to fit one model class, what it predicts, and which inputs it must refuse."""

    make: Callable[[], object]
    fit: Callable[[object], object]
    predict: Callable[[object], dict[str, np.ndarray]]
    n_rows: int
    bad: dict[str, tuple[Callable[[object], object], str]] = field(default_factory=dict)
    """label -> (call on an unfitted model, or on the fitted one for ``predict:`` labels,
    regular expression the ValueError's message must match)."""
    scalars: Callable[[object], list] | None = None


def _value_case(cls) -> Case:
    spend = cls is GammaGamma
    other = "monetary_value" if spend else "recency"
    if spend:
        predict = lambda m: {"expected_average_spend": m.expected_average_spend(  # noqa: E731
            SUMMARY["frequency"], SUMMARY["monetary_value"])}
        scalars = lambda m: [m.expected_average_spend(2, 30.0)]  # noqa: E731
    else:
        predict, scalars = _history_predictions, _history_scalars
    return Case(
        lambda: cls(random_state=3), lambda m: m.fit(SUMMARY), predict, len(SUMMARY),
        {"missing column": (lambda m: m.fit(SUMMARY.drop(columns=other)), "missing column"),
         "negative count": (lambda m: m.fit(_with(SUMMARY, "frequency", -1)), ">= 0"),
         "NaN": (lambda m: m.fit(_with(SUMMARY, other, np.nan)), "missing or infinite")},
        scalars)


def _cases() -> dict[str, Case]:
    from crm_analysis.churn.models import ColumnScore, make_models
    from crm_analysis.potential.spend_models import (
        AverageSpendRate,
        BoostedSpend,
        BTYDSpend,
        LastPeriodSpend,
        TwoStageSpend,
    )
    from crm_analysis.potential.uplift import TwoModelUplift

    features = ["recency_days", "tenure_days", "total_spend", "bgnbd_p_no_purchase"]
    x_churn = FRAME[features]
    with_target = FRAME.assign(target_spend=TARGET)
    first = np.arange(N) == 0

    def classifier(m) -> dict[str, np.ndarray]:
        out = {"predict_proba": m.predict_proba(x_churn), "predict": m.predict(x_churn)}
        if hasattr(m, "log_odds"):
            out |= {"raw_proba": m.raw_proba(x_churn), "log_odds": m.log_odds(x_churn)}
        return out

    def rule(cls, column: str) -> Case:
        return Case(lambda: cls(horizon_days=90), lambda m: m.fit(FRAME),
                    lambda m: {"predict": m.predict(FRAME)}, N,
                    {"missing column": (lambda m: m.fit(FRAME.drop(columns=column)),
                                        "lack column"),
                     "predict: missing column": (
                         lambda m: m.predict(FRAME.drop(columns=column)), "lack column")})

    def boosted(make) -> Case:
        def predict(m) -> dict[str, np.ndarray]:
            out = {"predict": m.predict(FRAME)}
            if hasattr(m, "predict_proba_buy"):
                out["predict_proba_buy"] = m.predict_proba_buy(FRAME)
            return out

        return Case(make, lambda m: m.fit(with_target), predict, N,
                    {"missing target": (lambda m: m.fit(FRAME), "lack column.*target_spend"),
                     "NaN target": (lambda m: m.fit(_with(with_target, "target_spend", np.nan)),
                                    "missing or infinite"),
                     "predict: missing column": (
                         lambda m: m.predict(FRAME.drop(columns="total_spend")), "lacks column")})

    btyd_predict = ("predict", "predict_purchases", "predict_no_purchase", "predict_order_value")
    return {
        **{cls.__name__: _value_case(cls) for cls in MODELS},
        "ColumnScore": Case(
            ColumnScore, lambda m: m.fit(x_churn, CHURNED), classifier, N,
            {"missing column": (lambda m: m.fit(x_churn.drop(columns="bgnbd_p_no_purchase")),
                                "is missing"),
             "NaN": (lambda m: m.fit(_with(x_churn, "bgnbd_p_no_purchase", np.nan)),
                     "probability"),
             "negative": (lambda m: m.fit(_with(x_churn, "bgnbd_p_no_purchase", -0.5)),
                          "probability"),
             "predict: missing column": (
                 lambda m: m.predict_proba(x_churn.drop(columns="bgnbd_p_no_purchase")),
                 "is missing")}),
        "OutOfTimeCalibrated": Case(
            lambda: make_models(features, max_train_rows=300)["logistic"],
            lambda m: m.fit(x_churn, CHURNED, groups=CUTOFFS), classifier, N,
            {"NaN label": (lambda m: m.fit(x_churn, np.where(first, np.nan, CHURNED),
                                           groups=CUTOFFS), r"0 \(stayed\) and 1"),
             "negative label": (lambda m: m.fit(x_churn, np.where(first, -1.0, CHURNED),
                                                groups=CUTOFFS), r"0 \(stayed\) and 1"),
             "NaN feature": (lambda m: m.fit(_with(x_churn, "total_spend", np.nan), CHURNED,
                                             groups=CUTOFFS), "NaN"),
             "predict: missing column": (
                 lambda m: m.predict_proba(x_churn.drop(columns="total_spend")), "missing")}),
        "LastPeriodSpend": rule(LastPeriodSpend, "spend_last_window"),
        "AverageSpendRate": rule(AverageSpendRate, "total_spend"),
        "BTYDSpend": Case(
            lambda: BTYDSpend(horizon_days=90, random_state=2), lambda m: m.fit(FRAME),
            lambda m: {name: getattr(m, name)(FRAME) for name in btyd_predict}, N,
            {"missing column": (lambda m: m.fit(FRAME.drop(columns="T")), "lack column"),
             "negative count": (lambda m: m.fit(_with(FRAME, "frequency", -1)), ">= 0"),
             "NaN": (lambda m: m.fit(_with(FRAME, "recency", np.nan)), "missing or infinite"),
             "predict: missing column": (lambda m: m.predict(FRAME.drop(columns="T")),
                                         "lack column")}),
        "TwoStageSpend": boosted(lambda: TwoStageSpend(max_train_rows=300, random_state=4)),
        "BoostedSpend": boosted(lambda: BoostedSpend(random_state=5)),
        "TwoModelUplift": Case(
            lambda: TwoModelUplift(max_iter=30, min_samples_leaf=20),
            lambda m: m.fit(UPLIFT_X, TREATED, CONVERTED),
            lambda m: {"predict": m.predict(UPLIFT_X)}, N,
            {"NaN": (lambda m: m.fit(UPLIFT_X, np.where(first, np.nan, TREATED), CONVERTED),
                     "missing values"),
             "wrong length": (lambda m: m.fit(UPLIFT_X, TREATED, CONVERTED[:-1]), "values for"),
             "predict: missing column": (
                 lambda m: m.predict(UPLIFT_X.drop(columns="total_spend")), "lacks feature")}),
    }


CASES = _cases()


def _same_params(a, b) -> bool:
    return repr(a.get_params(deep=False)) == repr(b.get_params(deep=False))


@pytest.mark.parametrize("name", list(CASES))
def test_the_estimator_contract(name: str) -> None:
    case = CASES[name]
    model = case.make()
    assert type(model).__name__ in repr(model)
    with pytest.raises(NotFittedError, match="not fitted"):
        case.predict(model)
    assert type(clone(model)) is type(model) and _same_params(clone(model), model)
    for label, (call, message) in case.bad.items():
        if not label.startswith("predict"):
            with pytest.raises(ValueError, match=message):
                call(clone(model))

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert case.fit(model) is model
    check_is_fitted(model)
    assert getattr(model, "converged_", True) is True  # the value models' optimiser outcome
    assert type(model).__name__ in repr(model)
    copy = clone(model)
    assert type(copy) is type(model) and _same_params(copy, model)
    with pytest.raises(NotFittedError):
        case.predict(copy)

    predictions = case.predict(model)
    for key, pred in predictions.items():
        shape = (case.n_rows, 2) if key == "predict_proba" else (case.n_rows,)
        assert type(pred) is np.ndarray and pred.dtype == np.float64 and pred.shape == shape, key
    for pred in case.scalars(model) if case.scalars else []:
        assert type(pred) is np.ndarray and pred.dtype == np.float64 and pred.shape == ()

    unpickled = pickle.loads(pickle.dumps(model))
    for key, pred in case.predict(unpickled).items():
        np.testing.assert_array_equal(pred, predictions[key], err_msg=key)

    for label, (call, message) in case.bad.items():
        if label.startswith("predict"):
            with pytest.raises(ValueError, match=message):
                call(model)


def test_every_model_class_of_the_package_is_checked() -> None:
    """A new model class must join :data:`CASES`."""
    from sklearn.base import BaseEstimator, TransformerMixin

    import crm_analysis.churn.models
    import crm_analysis.potential.future_value
    import crm_analysis.potential.spend_models
    import crm_analysis.potential.uplift
    import crm_analysis.value

    modules = (crm_analysis.value, crm_analysis.churn.models, crm_analysis.potential.future_value,
               crm_analysis.potential.spend_models, crm_analysis.potential.uplift)
    classes = {obj.__name__ for module in modules for obj in vars(module).values()
               if isinstance(obj, type) and issubclass(obj, BaseEstimator)
               and obj.__module__.startswith("crm_analysis") and not obj.__name__.startswith("_")
               and not issubclass(obj, TransformerMixin)}
    assert classes == set(CASES)


# ---------------------------------------------------------------------------------------------
# convergence: converged_ is the outcome of the convergence checks
# ---------------------------------------------------------------------------------------------
UNIDENTIFIED = {"frequency": np.zeros(500), "recency": np.zeros(500), "T": np.linspace(1, 50, 500)}
"""Nobody ever bought again: BG/NBD's dropout is not identified without a penalty."""


def test_a_fit_that_does_not_converge_raises_or_warns_and_says_so() -> None:
    with pytest.raises(ConvergenceError, match="did not converge") as info:
        BetaGeo().fit(**UNIDENTIFIED)
    assert isinstance(info.value, ValueError) and info.value.problems
    failed = BetaGeo()
    with pytest.raises(ConvergenceError):
        failed.fit(**UNIDENTIFIED)
    with pytest.raises(NotFittedError):  # a failed fit leaves the model unfitted
        failed.probability_alive(1, 1.0, 2.0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        kept = BetaGeo(on_failure="warn").fit(**UNIDENTIFIED)
    assert kept.converged_ is False and any("did not converge" in n for n in kept.notes_)
    assert kept.probability_alive(UNIDENTIFIED["frequency"], UNIDENTIFIED["recency"],
                                  UNIDENTIFIED["T"]).shape == (500,)
    with pytest.raises(ValueError, match="on_failure"):
        BetaGeo(on_failure="ignore").fit(**UNIDENTIFIED)


def test_the_fallback_treats_a_warned_failure_like_a_raised_one() -> None:
    strict = fit_with_fallback(BetaGeo(), **UNIDENTIFIED)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the rescued fit warns of nothing
        lenient = fit_with_fallback(BetaGeo(on_failure="warn"), **UNIDENTIFIED)
    assert strict.converged_ and lenient.converged_ and strict.penalizer_coef > 0
    assert lenient.penalizer_coef == strict.penalizer_coef and lenient.params_ == strict.params_
    assert lenient.on_failure == "warn"


# ---------------------------------------------------------------------------------------------
# more of the value models
# ---------------------------------------------------------------------------------------------
def test_refitting_the_same_data_gives_the_same_model(fitted):
    np.testing.assert_allclose(_predict(clone(fitted).fit(SUMMARY)), _predict(fitted),
                               rtol=1e-9)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize(("setting", "value"), [("penalizer_coef", -1.0), ("n_starts", 0),
                                                ("n_starts", 1.5), ("tol", 0.0),
                                                ("on_failure", "ignore")])
def test_bad_settings_are_refused_at_fit_by_name(cls, setting, value):
    with pytest.raises(ValueError, match=setting):
        cls(**{setting: value}).fit(SUMMARY)


def test_the_time_unit_travels_with_the_summary_and_a_mismatch_is_refused():
    """Issue 19: a model fitted in weeks and given days returned a CLV far too low, silently."""
    from crm_analysis import features, value
    from crm_analysis.features.time_units import DAYS_PER_WEEK, PERIOD_ATTR

    orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c", "d", "d", "e"],
                           "order_date": pd.to_datetime(
                               ["2024-01-03", "2024-02-10", "2024-05-01", "2024-01-20",
                                "2024-03-15", "2024-02-02", "2024-01-09", "2024-06-01",
                                "2024-04-04"]),
                           "amount": [20.0, 35.0, 18.0, 60.0, 25.0, 40.0, 12.0, 30.0, 8.0]})
    end = "2024-06-30"
    weeks = features.rfm_summary(orders, as_of=end, time_scaler=DAYS_PER_WEEK)
    days = features.rfm_summary(orders, as_of=end)
    assert weeks.attrs[PERIOD_ATTR] == 7.0 and days.attrs[PERIOD_ATTR] == 1.0
    assert weeks[weeks["frequency"] > 0].attrs[PERIOD_ATTR] == 7.0  # kept through a filter
    held = features.calibration_holdout(orders, calibration_end="2024-03-31",
                                        as_of=end, time_scaler=DAYS_PER_WEEK)
    assert held.attrs[PERIOD_ATTR] == 7.0
    model = BetaGeo().set_params(penalizer_coef=0.01).fit(weeks)
    assert model.period_days_ == 7.0
    assert BetaGeo().fit(frequency=[0, 1, 2, 0, 4, 1], recency=[0, 5, 20, 0, 30, 12],
                         T=[40, 38, 35, 30, 40, 39]).period_days_ is None  # arrays: unknown
    scored = value.rfm_scores(features.customer_rfm(orders, as_of=end))
    with pytest.raises(ValueError, match=r"in weeks \(7 days\), but this summary is in days"):
        value.customer_value_table(scored, days, model, None, horizon=26, discount_rate=0.0)
    table = value.customer_value_table(scored, weeks, model, None, horizon=26, discount_rate=0.0)
    assert len(table) == 5


def test_a_simple_rule_fits_predicts_and_pickles():
    from crm_analysis.potential.spend_models import LastPeriodSpend

    frame = pd.DataFrame({"spend_last_window": [10.0, np.nan, 3.5]})
    rule = LastPeriodSpend(horizon_days=90)
    assert rule.fit(frame) is rule
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(rule)).predict(frame),
                                  [10.0, 0.0, 3.5])
