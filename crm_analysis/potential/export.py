"""Tables for the CRM and marketing tools: customer_potential and the target list.

``customer_potential`` (Parquet, one row per customer who bought by the snapshot):
:data:`POTENTIAL_COLUMNS` first, then the other scores present.

Target list (CSV, one row per customer to contact), columns :data:`TARGET_LIST_COLUMNS`:

- ``customer_id``: the CRM's customer id (no names, e-mails or phones);
- ``action``: retain, grow, nurture, win back or let go (the positioning grid);
- ``expected_incremental_profit``: expected extra profit of one contact, currency units
  (uplift x expected order value x margin - contact cost); empty when there was no randomised
  campaign data to learn uplift from;
- ``reason``: why this customer is on the list, in words with the numbers behind it.

With campaign data the list holds the customers chosen by
:func:`~crm_analysis.potential.targeting.choose_targets` (highest profit first); without, the
customers whose action calls for contact, retain first, then win back, then grow, each by
highest predicted value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.potential.positioning import ACTION_WHY

__all__ = ["CONTACT_ACTIONS", "POTENTIAL_COLUMNS", "TARGET_LIST_COLUMNS",
           "customer_potential_table", "target_list"]

POTENTIAL_COLUMNS: tuple[str, ...] = ("customer_id", "predicted_value", "current_value",
                                      "potential_tier", "action")
TARGET_LIST_COLUMNS: tuple[str, ...] = ("customer_id", "action", "expected_incremental_profit",
                                        "reason")
CONTACT_ACTIONS: tuple[str, ...] = ("retain", "win back", "grow")
"""Actions that call for a contact when there is no uplift model to choose by profit."""

_OTHER = ("segment", "behaviour_group", "value_level", "potential_level", "risk_level",
          "churn_risk", "growth", "peer_value", "headroom", "upside", "predicted_btyd",
          "predicted_two_stage", "predicted_boosted", "expected_purchases", "p_no_purchase",
          "expected_order_value", "clv", "predicted_uplift", "expected_incremental_profit",
          "contact")


def customer_potential_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The exported customer_potential table from the scored frame (index: customer id).

    Returns
    -------
    DataFrame
        :data:`POTENTIAL_COLUMNS`, then whichever of the other score columns are present;
        categorical columns become strings.
    """
    out = frame.rename_axis("customer_id").reset_index()
    cols = [*POTENTIAL_COLUMNS, *(c for c in _OTHER if c in out.columns)]
    out = out[cols]
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype("string")
    out["customer_id"] = out["customer_id"].astype("string")
    return out


def _fmt(values: pd.Series, spec: str) -> pd.Series:
    return pd.Series([format(v, spec) for v in values.to_numpy(dtype=float)],
                     index=values.index, dtype="string")


def target_list(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV target list (see the module docstring).

    Parameters
    ----------
    frame : DataFrame
        Index customer id; ``action``, ``predicted_value``, ``churn_risk`` and, with campaign
        data, ``contact`` (bool), ``predicted_uplift``, ``expected_order_value`` and
        ``expected_incremental_profit``.

    Returns
    -------
    DataFrame
        :data:`TARGET_LIST_COLUMNS`, best first.
    """
    action = frame["action"].astype("string")
    why = action.map(ACTION_WHY).astype("string")
    if "contact" in frame.columns and "expected_incremental_profit" in frame.columns:
        rows = frame[frame["contact"].to_numpy(bool)]
        reason = ("a contact is expected to lift the chance of an order by "
                  + _fmt(rows["predicted_uplift"] * 100, ".1f") + " points (order value "
                  + _fmt(rows["expected_order_value"], ",.2f") + "); grid: "
                  + action[rows.index] + ", " + why[rows.index])
        out = pd.DataFrame({"action": action[rows.index],
                            "expected_incremental_profit": rows["expected_incremental_profit"]
                            .astype(float).round(2),
                            "reason": reason})
        out = out.sort_values("expected_incremental_profit", ascending=False, kind="stable")
    else:
        keep = action.isin(list(CONTACT_ACTIONS)).fillna(False).to_numpy(bool)
        rows = frame[keep]
        reason = (why[rows.index] + "; predicted spend next horizon "
                  + _fmt(rows["predicted_value"], ",.2f") + ", churn risk "
                  + _fmt(rows["churn_risk"] * 100, ".0f") + "%")
        out = pd.DataFrame({"action": action[rows.index],
                            "expected_incremental_profit": np.full(len(rows), np.nan),
                            "reason": reason, "_v": -rows["predicted_value"].astype(float),
                            "_a": action[rows.index].map(
                                {a: i for i, a in enumerate(CONTACT_ACTIONS)})})
        out = out.sort_values(["_a", "_v"], kind="stable").drop(columns=["_a", "_v"])
    out = out.rename_axis("customer_id").reset_index()
    out["customer_id"] = out["customer_id"].astype("string")
    return out[list(TARGET_LIST_COLUMNS)]
