"""The customer value report's headline numbers, as ``record_metric`` keyword arguments.

The BG/NBD and Gamma-Gamma parameters, the holdout errors, revenue concentration, customers,
repeat rate, the win-back list, the value basis and the verdict; a number the data cannot give
is ``None`` with the reason. ``tests/data/default_set_metrics.json`` holds them on the default
set.
"""

from __future__ import annotations

from crm_analysis.markup import plain
from crm_analysis.value.analysis import ValueAnalysis
from crm_analysis.value.trust import verdict
from crm_analysis.value.win_back import WIN_BACK_SEGMENTS

__all__ = ["headline_metrics"]


def headline_metrics(result: ValueAnalysis) -> list[dict]:
    """The report's headline numbers as ``record_metric`` keyword arguments; a number the data
    could not give is ``None`` with the reason."""
    out = []
    no_model = "no BG/NBD fit on this data"
    for name, label, model in (("bgnbd", "BG/NBD", result.fits.transaction.get("BG/NBD")),
                               ("gg", "Gamma-Gamma", result.fits.spend)):
        names = ("r", "alpha", "a", "b") if name == "bgnbd" else ("p", "q", "gamma")
        for param in names:
            out.append({"name": f"{name}_{param}", "label": f"{label} {param}", "fmt": ".4g",
                        "value": model.params_[param] if model is not None else None,
                        "reason": None if model is not None else
                        no_model if name == "bgnbd" else "no Gamma-Gamma fit on this data"})
    no_revenue = "no customers" if result.has_amounts else "the orders carry no amounts"
    win_back = result.rfm[result.rfm["segment"].isin(WIN_BACK_SEGMENTS)]
    err = result.holdout.carrying if result.holdout is not None else None
    reason = None if err is not None else plain(result.holdout_reason or "no holdout check")
    out += [
        {"name": "holdout_mae", "value": err.mae if err else None,
         "label": "Holdout MAE per customer", "fmt": ".3f", "reason": reason},
        {"name": "holdout_total_error", "value": err.total_error if err else None,
         "label": "Holdout error of total purchases", "fmt": "+.1%", "reason": reason},
        {"name": "gini", "value": result.gini, "label": "Gini of revenue", "fmt": ".3f",
         "reason": no_revenue},
        {"name": "top10_revenue_share",
         "value": result.concentration.set_index("top")["revenue_share"].get("top 10%"),
         "label": "Revenue share of top 10%", "fmt": ".1%", "reason": no_revenue},
        {"name": "customers", "value": len(result.customer_value), "label": "Customers",
         "fmt": ",d"},
        {"name": "repeat_rate", "value": float((result.rfm["orders"] > 1).mean())
         if len(result.rfm) else None, "label": "Customers who bought more than once",
         "fmt": ".0%", "reason": "no customers"},
        {"name": "win_back_customers", "value": len(win_back), "fmt": ",d",
         "label": "At Risk and Can't Lose customers (the win-back list)"},
        {"name": "win_back_revenue", "value": float(win_back["revenue"].sum())
         if result.has_amounts else None, "fmt": ",.0f",
         "label": "Past revenue of the win-back list", "reason": no_revenue},
        {"name": "clv_basis", "value": str(result.customer_value["clv_basis"].iloc[0])
         if len(result.customer_value) else "empirical", "label": "Customer value basis"},
        verdict(result).metric("value_verdict", "Customer value reliability"),
    ]
    return out
