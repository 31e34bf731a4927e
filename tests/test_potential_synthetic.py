"""Synthetic checks of crm_analysis.potential against the generator's truth (small n, fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis import potential, value
from crm_analysis.synthetic import SyntheticConfig, generate

HORIZON = 180
TRUTH_SPEARMAN_FLOOR = 0.6
"""The predictions must rank customers like the true expected spend at least this well (about
0.73 at 3,000 customers; a ranking by recency alone gives about 0.5)."""


@pytest.fixture(scope="module")
def data():
    cfg = SyntheticConfig(n_customers=4000, seed=7, dirty=False, uplift_scale=2.0,
                          campaign_reach=0.8, treatment_share=0.5)
    syn = generate(cfg)
    snapshot = pd.Timestamp(cfg.end)
    orders = value.purchase_orders(syn.clean["orders"], snapshot).orders
    tables = {k: syn.clean[k] for k in ("customers", "campaign_contacts")}
    inputs = potential.prepare(orders, tables)
    return syn, snapshot, orders, tables, inputs


def test_future_value_ranks_like_the_truth(data):
    syn, snapshot, orders, _, inputs = data
    comparison = potential.compare_models(orders, snapshot, horizon_days=HORIZON, inputs=inputs)
    assert set(comparison.metrics.index) == {"last_period", "average_rate", "btyd", "two_stage",
                                             "boosted"}
    models = comparison.metrics.drop(index=list(potential.RULES))
    assert (models["gini"] > 0.6).all()
    assert (models["top_decile_capture"] > 0.3).all()
    assert comparison.chosen not in potential.RULES  # here the models beat the simple rules
    rules = comparison.metrics.loc[list(potential.RULES), "gini"]
    assert models["gini"].max() > rules.max()
    scored = potential.predict_future_value(orders, snapshot, comparison, inputs=inputs)
    assert scored.chosen == comparison.chosen  # the model the comparison picked (issue 19)
    truth = potential.true_expected_spend(syn.truth["customers"], HORIZON)
    true = truth.reindex(scored.scores.index).dropna()
    for col in ("predicted_btyd", "predicted_two_stage", "predicted_boosted"):
        rho = potential.metrics.spearman(true, scored.scores[col].reindex(true.index))
        assert rho > TRUTH_SPEARMAN_FLOOR, col


def test_uplift_and_targeting_beat_value(data):
    syn, snapshot, orders, tables, inputs = data
    analysis = potential.uplift_analysis(tables["campaign_contacts"], orders,
                                         horizon_days=HORIZON, inputs=inputs,
                                         true_uplift=syn.truth["uplift"], random_state=0)
    assert analysis.check.ok, analysis.check.reasons
    assert analysis.evaluation.truth_correlation > 0.1
    # on held-out contacts the model's top fifth has more true uplift than the simple rankings'
    held_out = potential.observed_strategies(analysis.evaluation, 0.2).set_index("strategy")
    rules = held_out.drop(index="uplift model")["true_uplift"]
    assert held_out.loc["uplift model", "true_uplift"] > rules.max(), held_out
    # targeting judged with the TRUE uplift of each customer (truth customers' tau)
    feats = potential.value_frame(orders, snapshot, horizon_days=HORIZON, inputs=inputs,
                                  with_target=False)
    lift = potential.score_uplift(analysis, feats, orders, snapshot, tables["customers"])
    tc = syn.truth["customers"].set_index("customer_id").reindex(lift.index)
    order_value = tc["expected_order_value"]
    model_profit = potential.expected_profit(lift, order_value, margin=0.3, contact_cost=0.5)
    true_profit = potential.expected_profit(tc["uplift"], order_value, margin=0.3,
                                            contact_cost=0.5)
    n = max(int((model_profit > 0).sum()), len(lift) // 5)
    spend = potential.true_expected_spend(syn.truth["customers"], HORIZON).reindex(lift.index)
    table = potential.compare_strategies(
        true_profit, {"uplift": model_profit, "value": spend}, n).set_index("strategy")
    assert table.loc["uplift", "expected_profit"] > table.loc["value", "expected_profit"]


def test_refuses_contacts_chosen_by_spend(data):
    _, _, orders, tables, inputs = data
    contacts = tables["campaign_contacts"].copy()
    spend = orders.groupby("customer_id")["amount"].sum()
    rich = spend.reindex(contacts["customer_id"]).to_numpy() > spend.median()
    contacts["group"] = np.where(rich, "treatment", "control")
    analysis = potential.uplift_analysis(contacts, orders, horizon_days=HORIZON, inputs=inputs)
    assert not analysis.check.ok
    assert analysis.model is None
    with pytest.raises(potential.NotRandomisedError):
        analysis.check.raise_if_failed()
