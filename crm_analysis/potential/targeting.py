"""Whom to contact: expected incremental profit, budgets and the profit curve.

Expected incremental profit of contacting a customer (currency units)::

    profit = uplift x expected_order_value x margin - contact_cost

``uplift`` is the extra probability of an order the contact causes (from the uplift model),
``expected_order_value`` the Gamma-Gamma expected spend per purchase (currency), ``margin`` the
profit share of revenue and ``contact_cost`` the cost of one contact. The best list contacts
customers in decreasing order of profit while it is positive, and stops at the budget
(``max_contacts``, or ``max_spend / contact_cost`` contacts).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["choose_targets", "compare_strategies", "expected_profit", "profit_curve"]


def expected_profit(uplift: pd.Series, order_value: pd.Series, *, margin: float,
                    contact_cost: float) -> pd.Series:
    """Expected incremental profit of one contact per customer, currency units.

    Examples
    --------
    >>> import pandas as pd
    >>> expected_profit(pd.Series([0.1, 0.0]), pd.Series([50.0, 80.0]), margin=0.3,
    ...                 contact_cost=0.5).round(2).tolist()
    [1.0, -0.5]
    """
    if contact_cost < 0 or not 0 <= margin <= 1:
        raise ValueError("contact_cost must be >= 0 and margin in 0..1")
    return (uplift.astype(float) * order_value.astype(float) * margin
            - contact_cost).rename("expected_incremental_profit")


def profit_curve(profit: pd.Series, score: pd.Series | None = None) -> pd.DataFrame:
    """Cumulative expected profit against the number contacted, best ``score`` first.

    Parameters
    ----------
    profit : Series
        Expected incremental profit per customer (currency).
    score : Series, optional
        Ranking (highest first, ties in input order); default ``profit`` itself.

    Returns
    -------
    DataFrame
        ``contacted`` (0..n) and ``profit`` (cumulative, currency).
    """
    rank_by = profit if score is None else score.reindex(profit.index)
    order = np.argsort(-rank_by.to_numpy(dtype=float), kind="stable")
    cum = np.concatenate(([0.0], np.cumsum(profit.to_numpy(dtype=float)[order])))
    return pd.DataFrame({"contacted": np.arange(len(cum)), "profit": cum})


def choose_targets(
    profit: pd.Series,
    *,
    max_contacts: int | None = None,
    max_spend: float | None = None,
    contact_cost: float = 0.0,
) -> pd.Series:
    """The contacts that maximise expected profit within the budget.

    Customers are taken in decreasing order of profit while it is positive (that is the
    maximum of the profit curve) and at most ``max_contacts`` of them, or as many as
    ``max_spend`` pays for at ``contact_cost`` each.

    Returns
    -------
    Series of bool
        Indexed like ``profit``, named ``contact``.
    """
    n = int((profit > 0).sum())
    if max_contacts is not None:
        n = min(n, int(max_contacts))
    if max_spend is not None and contact_cost > 0:
        n = min(n, int(np.floor(max_spend / contact_cost + 1e-9)))
    order = np.argsort(-profit.to_numpy(dtype=float), kind="stable")
    chosen = np.zeros(len(profit), dtype=bool)
    chosen[order[:max(n, 0)]] = True
    return pd.Series(chosen, index=profit.index, name="contact")


def compare_strategies(
    profit: pd.Series,
    rankings: Mapping[str, pd.Series],
    n_contacts: int,
) -> pd.DataFrame:
    """Expected profit of contacting the top ``n_contacts`` by each ranking.

    Parameters
    ----------
    profit : Series
        Per-customer profit the strategies are judged by (the model's, or the true one on
        synthetic data), currency.
    rankings : mapping of name to Series
        E.g. ``{"uplift model": profit, "value": predicted_value, "churn risk": risk}``.
    n_contacts : int

    Returns
    -------
    DataFrame
        ``strategy``, ``contacted``, ``expected_profit`` (currency), ``profit_per_contact``.
    """
    rows = []
    for name, score in rankings.items():
        curve = profit_curve(profit, score)
        k = min(int(n_contacts), len(profit))
        total = float(curve["profit"].iloc[k])
        rows.append({"strategy": name, "contacted": k, "expected_profit": total,
                     "profit_per_contact": total / k if k else np.nan})
    return pd.DataFrame(rows)
