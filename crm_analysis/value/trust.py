"""How far to trust the customer values: a verdict from the purchase model's holdout total.

The carrying purchase model's relative error of the holdout total decides: within 5% reliable,
within 15% use with care, beyond that (or with no model, no check, or a model that did not beat
the simple rate rule) not reliable on this data.
"""

from __future__ import annotations

import numpy as np

from crm_analysis.limits import NOT_RELIABLE, RELIABLE, USE_WITH_CARE, Verdict
from crm_analysis.markup import plain
from crm_analysis.value.analysis import ValueAnalysis

__all__ = ["holdout_quality", "verdict"]


def holdout_quality(total_error: float) -> str:
    """``"close"`` (within 5%), ``"fair"`` (within 15%) or ``"poor"``: the size of a relative
    error of the holdout total, (predicted - actual) / actual, in words."""
    size = abs(total_error)
    return "close" if size < 0.05 else "fair" if size < 0.15 else "poor"


def verdict(result: ValueAnalysis) -> Verdict:
    """How far to trust the customer values: the purchase model's error on the holdout total.

    Reliable within 5 %, use with care within 15 %, not reliable beyond, or when no model could
    be fitted or checked (the values are then past spend or unchecked forecasts).
    """
    value = result.customer_value
    if value.empty:
        return Verdict(NOT_RELIABLE, "there are no customers to value")
    check = result.holdout
    if not (value["clv_basis"] == "model").all():
        why = ("the purchase model did not beat the simple rate rule on the holdout"
               if check is not None and not check.model_earns_its_place else
               "no purchase model could be used")
        past = "spend" if result.has_amounts else "purchases"
        return Verdict(NOT_RELIABLE, f"{why}, so the values are each customer's past {past}, "
                       "not a forecast")
    if check is None or not np.isfinite(check.carrying.total_error):
        return Verdict(NOT_RELIABLE, "the purchase model could not be checked on a holdout: "
                       + plain(result.holdout_reason or "too little history"))
    err = check.carrying.total_error
    quality = holdout_quality(err)
    how = (f"{next(iter(check.accuracy))} missed the repeat purchases of the "
           f"{check.split.holdout_weeks}-week holdout by {err:+.1%} in total")
    return Verdict({"close": RELIABLE, "fair": USE_WITH_CARE}.get(quality, NOT_RELIABLE), how)
