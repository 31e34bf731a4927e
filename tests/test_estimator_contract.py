"""The scikit-learn estimator contract, checked on every model of the value room (issue 19).

In the spirit of ``sklearn.utils.estimator_checks.check_estimator`` for models that take a
customer summary rather than ``X, y``: ``fit`` returns the model; a prediction before ``fit``
raises scikit-learn's ``NotFittedError``; ``clone``, ``get_params`` and ``set_params`` work and
``clone`` gives an unfitted copy; a pickled model predicts the same; bad settings and bad input
are refused with a ``ValueError`` that names them.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from crm_analysis.value import BetaGeo, GammaGamma, ParetoNBD

SUMMARY = pd.read_parquet(Path(__file__).parent / "data"
                          / "online_retail_uci_weekly_summary.parquet")
"""A real summary in weeks: the UCI export's 4,334 customers (see ONLINE_RETAIL_SOURCE.md)."""


def _predict(model) -> np.ndarray:
    if isinstance(model, GammaGamma):
        return np.asarray(model.expected_average_spend(SUMMARY["frequency"],
                                                        SUMMARY["monetary_value"]))
    return np.asarray(model.expected_purchases(10.0, SUMMARY["frequency"], SUMMARY["recency"],
                                               SUMMARY["T"]))


MODELS = [BetaGeo, ParetoNBD, GammaGamma]


@pytest.fixture(scope="module", params=MODELS, ids=lambda cls: cls.__name__)
def fitted(request):
    model = request.param(random_state=3)
    assert model.fit(SUMMARY) is model  # fit returns self
    return model


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_a_prediction_before_fit_is_scikit_learns_not_fitted_error(cls):
    model = cls()
    with pytest.raises(NotFittedError, match="not fitted"):
        _predict(model)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_clone_and_params(fitted):
    check_is_fitted(fitted)
    copy = clone(fitted)
    assert type(copy) is type(fitted) and copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "params_")  # unfitted
    copy.set_params(penalizer_coef=0.1, n_starts=2)
    assert copy.get_params()["penalizer_coef"] == 0.1 and fitted.penalizer_coef == 0.0
    assert type(fitted).__name__ in repr(copy) and "fitted on" in repr(fitted)


def test_a_pickled_model_predicts_the_same(fitted):
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(_predict(again), _predict(fitted))
    assert again.params_ == fitted.params_ and again.converged_ == fitted.converged_


def test_refitting_the_same_data_gives_the_same_model(fitted):
    np.testing.assert_allclose(_predict(clone(fitted).fit(SUMMARY)), _predict(fitted),
                               rtol=1e-9)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize(("setting", "value"), [("penalizer_coef", -1.0), ("n_starts", 0),
                                                ("n_starts", 1.5), ("tol", 0.0)])
def test_bad_settings_are_refused_at_fit_by_name(cls, setting, value):
    with pytest.raises(ValueError, match=setting):
        cls(**{setting: value}).fit(SUMMARY)


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
def test_bad_input_is_refused(cls):
    bad = SUMMARY.assign(frequency=-SUMMARY["frequency"] - 1)
    with pytest.raises(ValueError):
        cls().fit(bad)
    with pytest.raises(ValueError, match="missing column"):
        cls().fit(SUMMARY[["recency"]])


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
    weeks = features.rfm_summary(orders, observation_end=end, time_scaler=DAYS_PER_WEEK)
    days = features.rfm_summary(orders, observation_end=end)
    assert weeks.attrs[PERIOD_ATTR] == 7.0 and days.attrs[PERIOD_ATTR] == 1.0
    assert weeks[weeks["frequency"] > 0].attrs[PERIOD_ATTR] == 7.0  # kept through a filter
    held = features.calibration_holdout(orders, calibration_end="2024-03-31",
                                        observation_end=end, time_scaler=DAYS_PER_WEEK)
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


def _room_models():
    from crm_analysis.churn.models import OutOfTimeCalibrated
    from crm_analysis.potential.future_value import (
        AverageSpendRate,
        BoostedSpend,
        BTYDSpend,
        LastPeriodSpend,
        TwoStageSpend,
    )
    from crm_analysis.potential.uplift import TwoModelUplift

    return [LastPeriodSpend(horizon_days=90), AverageSpendRate(horizon_days=90),
            BTYDSpend(horizon_days=90, random_state=2), TwoStageSpend(max_train_rows=500),
            BoostedSpend(random_state=5), TwoModelUplift(max_iter=50), OutOfTimeCalibrated()]


@pytest.mark.parametrize("model", _room_models(), ids=lambda m: type(m).__name__)
def test_the_churn_and_potential_models_clone_and_refuse_to_predict_unfitted(model):
    """Issue 19: the churn and potential models raised three different "not fitted" errors
    (RuntimeError, scikit-learn's, ...); now all are scikit-learn estimators with its error."""
    copy = clone(model)
    assert type(copy) is type(model) and copy.get_params() == model.get_params()
    predict = getattr(model, "predict_proba", None) or model.predict
    with pytest.raises(NotFittedError, match="not fitted"):
        predict(pd.DataFrame({"spend_last_window": [1.0]}))


def test_a_simple_rule_fits_predicts_and_pickles():
    from crm_analysis.potential.future_value import LastPeriodSpend

    frame = pd.DataFrame({"spend_last_window": [10.0, np.nan, 3.5]})
    rule = LastPeriodSpend(horizon_days=90)
    assert rule.fit(frame) is rule
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(rule)).predict(frame),
                                  [10.0, 0.0, 3.5])
