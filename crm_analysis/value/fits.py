"""Which models the data can support, and fitting them: the purchase models and Gamma-Gamma.

:func:`fit_models` fits BG/NBD and Pareto/NBD (the purchase models) and Gamma-Gamma (the spend
model) when the summary has enough customers and repeat buyers, and never stops on a valid
summary: a model the data cannot support, or whose fit fails, is left out with one sentence that
says why (``Fits.notes``).

Requirements (module constants, so the notebook and the docs quote the same numbers):
:data:`MIN_CUSTOMERS` customers and :data:`MIN_REPEAT_BUYERS` customers with a repeat purchase for
the purchase models and for Gamma-Gamma.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crm_analysis.markup import Markup, escape, md
from crm_analysis.value._fitting import ConvergenceError
from crm_analysis.value.beta_geo import BetaGeo
from crm_analysis.value.gamma_gamma import GammaGamma
from crm_analysis.value.pareto_nbd import ParetoNBD

__all__ = ["MIN_CUSTOMERS", "MIN_REPEAT_BUYERS", "TRANSACTION_MODELS", "Fits", "fit_models"]

MIN_CUSTOMERS = 20
"""Fewest customers the purchase models are fitted on."""

MIN_REPEAT_BUYERS = 10
"""Fewest customers with a repeat purchase for the purchase models and for Gamma-Gamma: the
models learn the buying rate, the dropout and the spend from repeat purchases."""

TRANSACTION_MODELS = {"BG/NBD": BetaGeo, "Pareto/NBD": ParetoNBD}
"""The purchase models, the one that carries the report first."""


@dataclass
class Fits:
    """Models fitted on one summary: those that could be used, and what to know about them.

    Attributes
    ----------
    transaction : dict
        Name -> fitted purchase model, in the order of :data:`TRANSACTION_MODELS`; empty when
        none could be fitted.
    spend : GammaGamma or None
        The spend model, None when it could not be fitted.
    notes : list of Markup
        One sentence per model that was left out or has something to say about its fit.
    """

    transaction: dict[str, object] = field(default_factory=dict)
    spend: GammaGamma | None = None
    notes: list[Markup] = field(default_factory=list)

    @property
    def purchases(self):
        """The model that carries the report (BG/NBD when fitted, else the first fitted)."""
        return next(iter(self.transaction.values()), None)


def _model_gap(summary: pd.DataFrame, *, spend: bool = False) -> str | None:
    """Why the models cannot be fitted on ``summary``, in words, or None."""
    customers = len(summary)
    repeat = summary["frequency"] > 0
    if spend:
        repeat &= summary["monetary_value"] > 0
    repeaters = int(repeat.sum())
    if not spend and customers < MIN_CUSTOMERS:
        return f"at least {MIN_CUSTOMERS} customers are needed and the data has {customers:,}"
    if repeaters < MIN_REPEAT_BUYERS:
        return (f"at least {MIN_REPEAT_BUYERS} customers who bought again are needed (the "
                f"models learn from repeat purchases) and the data has {repeaters:,}")
    return None


def _failure(name: str, exc: Exception) -> Markup:
    problems = getattr(exc, "problems", ()) or (str(exc),)
    return md("{name} could not be fitted on this data: {why}.", name=name,
              why="; ".join(problems))


def fit_models(summary: pd.DataFrame, *, seed: int = 0) -> Fits:
    """Fit the purchase models and Gamma-Gamma where the data supports them.

    Parameters
    ----------
    summary : DataFrame
        :func:`crm_analysis.features.rfm_summary` (``frequency``, ``recency``, ``T``,
        ``monetary_value``), any time unit.
    seed : int
        Random state of the extra starting points.

    Returns
    -------
    Fits
        Never raises on a valid summary: a model that cannot be fitted is left out with a note.
    """
    fits = Fits()
    gap = _model_gap(summary)
    if gap:
        fits.notes.append(md("The purchase models (BG/NBD, Pareto/NBD) are not fitted: {gap}.",
                             gap=gap))
    else:
        for name, model_class in TRANSACTION_MODELS.items():
            try:
                model = model_class(random_state=seed).fit(summary)
            except ConvergenceError as exc:
                fits.notes.append(_failure(name, exc))
                continue
            fits.transaction[name] = model
            fits.notes.extend(escape(note) for note in model.notes_)
    if "monetary_value" not in summary:
        fits.notes.append(md("The spend model (Gamma-Gamma) is not fitted: the orders carry no "
                             "amounts."))
        return fits
    spend_gap = _model_gap(summary, spend=True)
    if spend_gap:
        fits.notes.append(md("The spend model (Gamma-Gamma) is not fitted: {gap}.", gap=spend_gap))
        return fits
    try:
        fits.spend = GammaGamma(random_state=seed).fit(summary)
        fits.notes.extend(escape(note) for note in fits.spend.notes_)
    except (ConvergenceError, ValueError) as exc:
        fits.notes.append(_failure("Gamma-Gamma", exc))
    return fits
