"""``predict`` takes the summary table as ``fit`` does (issue 19): same columns and checks, the
fit's time unit, a Series indexed like the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from crm_analysis.features.time_units import PERIOD_ATTR
from crm_analysis.value import BetaGeo, GammaGamma, ParetoNBD

SUMMARY = pd.read_parquet(Path(__file__).parent / "data"
                          / "online_retail_uci_weekly_summary.parquet").iloc[:600]
"""600 customers of the UCI export, in weeks."""


@pytest.mark.parametrize("cls", [BetaGeo, ParetoNBD], ids=lambda c: c.__name__)
def test_transaction_models_predict_from_the_summary(cls) -> None:
    weeks = SUMMARY.copy()
    weeks.attrs[PERIOD_ATTR] = 7.0
    with pytest.raises(NotFittedError):
        cls().predict(weeks, 10.0)
    model = cls(penalizer_coef=0.01).fit(weeks)
    got = model.predict(weeks, 10.0)
    assert isinstance(got, pd.Series) and got.name == "expected_purchases"
    pd.testing.assert_index_equal(got.index, weeks.index)
    np.testing.assert_array_equal(got.to_numpy(), model.expected_purchases(
        10.0, weeks["frequency"], weeks["recency"], weeks["T"]))
    days = weeks.assign(recency=weeks["recency"] * 7, T=weeks["T"] * 7)
    days.attrs[PERIOD_ATTR] = 1.0
    with pytest.raises(ValueError, match="fitted on a summary in weeks"):
        model.predict(days, 70.0)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['T'\]"):
        model.predict(weeks.drop(columns="T"), 10.0)
    with pytest.raises(ValueError):
        model.predict(weeks.assign(frequency=-1.0), 10.0)


def test_gamma_gamma_predicts_from_the_summary() -> None:
    repeat = SUMMARY[(SUMMARY["frequency"] > 0) & (SUMMARY["monetary_value"] > 0)]
    model = GammaGamma().fit(repeat)
    got = model.predict(SUMMARY)
    assert got.name == "expected_order_value" and got.index.equals(SUMMARY.index)
    np.testing.assert_array_equal(got.to_numpy(), model.expected_average_spend(
        SUMMARY["frequency"], SUMMARY["monetary_value"]))
    with pytest.raises(ValueError, match="monetary_value"):
        model.predict(SUMMARY.drop(columns="monetary_value"))
