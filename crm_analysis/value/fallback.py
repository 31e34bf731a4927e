"""The one fitting-with-fallback policy of the value models: no penalty first, then small ones.

A maximum-likelihood fit can fail on a flat likelihood (few repeat buyers, customers who all
look alike). A small L2 penalty on the parameters (``penalizer_coef``, the lifetimes
convention) usually rescues it at a negligible bias. Every room that needs a purchase or spend
model it cannot do without (the churn features, the potential report's BG/NBD x Gamma-Gamma)
fits through :func:`fit_with_fallback`, so the sequence is written once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sklearn.base import clone

from crm_analysis.value._fitting import ConvergenceError

__all__ = ["FALLBACK_PENALIZERS", "fit_with_fallback"]

FALLBACK_PENALIZERS: tuple[float, ...] = (0.0, 1e-3, 1e-2)
"""Penalties tried in turn: the plain maximum-likelihood fit, then two small penalties."""

Model = TypeVar("Model")


def fit_with_fallback(model: Model, *args: Any,
                      penalizers: tuple[float, ...] = FALLBACK_PENALIZERS, **kwargs: Any
                      ) -> Model:
    """A fitted clone of ``model`` (its other settings kept), with the first penalty of
    ``penalizers`` at which the fit converges; ``args`` and ``kwargs`` go to ``fit``.

    Raises
    ------
    ConvergenceError
        The fit failed at every penalty (the last failure).

    Examples
    --------
    >>> from crm_analysis.value import BetaGeo
    >>> model = fit_with_fallback(BetaGeo(), frequency=[0, 1, 2, 0, 4, 1],
    ...                           recency=[0, 5, 20, 0, 30, 12], T=[40, 38, 35, 30, 40, 39])
    >>> model.penalizer_coef in FALLBACK_PENALIZERS
    True
    """
    failure: ConvergenceError | None = None
    for penalizer in penalizers:
        candidate = clone(model).set_params(penalizer_coef=penalizer)
        try:
            return candidate.fit(*args, **kwargs)
        except ConvergenceError as exc:
            failure = exc
    assert failure is not None, "no penalizer to try"
    raise failure
