"""The fitted parameters for the reader: the models by name and one table with 95% intervals.

Units: alpha and beta are rates per time unit of the summary the purchase models were fitted on
(weeks in the report); Gamma-Gamma's gamma is in currency; the other parameters are shapes.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crm_analysis.value.fits import Fits

__all__ = ["model_parameters", "parameter_table"]


def model_parameters(fits: Fits) -> Mapping[str, object]:
    """The fitted models by name (purchase models, then Gamma-Gamma), for the parameter table."""
    models = dict(fits.transaction)
    if fits.spend is not None:
        models["Gamma-Gamma"] = fits.spend
    return models


def parameter_table(models: Mapping[str, object], *, time_unit: str = "weeks") -> pd.DataFrame:
    """Fitted parameters with 95% intervals and units, one row per model parameter.

    Parameters
    ----------
    models : mapping of name to fitted model
        Each with ``confidence_intervals_`` (columns estimate, standard_error, lower, upper).
    time_unit : str, default "weeks"
        Time unit of the transaction models' summaries: the unit of alpha and beta (rates of
        gamma distributions of purchase and dropout rates per time unit).

    Returns
    -------
    DataFrame
        ``model``, ``parameter``, ``estimate``, ``lower``, ``upper`` (95%), ``unit``.
    """
    units = {"alpha": time_unit, "beta": time_unit, "gamma": "currency"}
    frames = [
        ci.rename_axis("parameter").reset_index().assign(model=name)
        for name, ci in ((n, m.confidence_intervals_) for n, m in models.items())
    ]
    out = pd.concat(frames, ignore_index=True)
    out["unit"] = out["parameter"].map(units).fillna("shape (no unit)")
    return out[["model", "parameter", "estimate", "lower", "upper", "unit"]]
