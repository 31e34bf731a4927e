"""The one fitting-with-fallback policy of the value models: no penalty first, then small ones.

A maximum-likelihood fit can fail on a flat likelihood (few repeat buyers, customers who all
look alike). A small L2 penalty on the parameters (``penalizer_coef``, the lifetimes
convention) usually rescues it at a negligible bias. Every room that needs a purchase or spend
model it cannot do without (the churn features, the potential report's BG/NBD x Gamma-Gamma)
fits through :func:`fit_with_fallback`, so the sequence is written once.
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

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

    A penalty "fails" when its fit raises :class:`ConvergenceError` (the default,
    ``on_failure="raise"``) or, for a model with ``on_failure="warn"``, ends with
    ``converged_ = False`` (the warnings of the penalties tried in between are not shown). On
    data that converges at the first penalty this is ``clone(model).fit(...)``.

    Returns
    -------
    model
        Fitted, ``converged_`` True, except with ``on_failure="warn"`` when every penalty
        failed: then the fit at the last penalty, with its ``ConvergenceWarning``.

    Raises
    ------
    ConvergenceError
        The fit failed at every penalty (the last failure), with ``on_failure="raise"``.

    Examples
    --------
    >>> from crm_analysis.value import BetaGeo
    >>> model = fit_with_fallback(BetaGeo(), frequency=[0, 1, 2, 0, 4, 1],
    ...                           recency=[0, 5, 20, 0, 30, 12], T=[40, 38, 35, 30, 40, 39])
    >>> model.penalizer_coef in FALLBACK_PENALIZERS and model.converged_
    True
    """
    if not penalizers:
        raise ValueError("no penalizer to try")
    failure: ConvergenceError | None = None
    for i, penalizer in enumerate(penalizers):
        candidate = clone(model).set_params(penalizer_coef=penalizer)
        last = i == len(penalizers) - 1
        try:
            with warnings.catch_warnings():
                if not last:  # a failure here is followed by the next penalty: no warning
                    warnings.simplefilter("ignore", ConvergenceWarning)
                fitted = candidate.fit(*args, **kwargs)
        except ConvergenceError as exc:
            failure = exc
            continue
        if getattr(fitted, "converged_", True) or last:
            return fitted
    assert failure is not None
    raise failure
