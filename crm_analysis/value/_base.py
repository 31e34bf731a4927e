"""Common estimator shell of the transaction (purchase-count) models: settings, ``fit``, results."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crm_analysis.features.time_units import period_of, same_period
from crm_analysis.value._fitting import (
    ON_FAILURE,
    PREDICTION_RULE,
    CompressedRFM,
    MLEResult,
    Objective,
    columns_or_arrays,
    fit_mle,
    validate_rfm,
)


class MaximumLikelihoodModel(BaseEstimator):
    """Settings and fitted-state helpers shared by every model of this package.

    A scikit-learn estimator: ``get_params``, ``set_params`` and ``sklearn.base.clone`` work,
    the settings are checked in one place (:meth:`_validate_settings`, at ``fit``), and a
    prediction before ``fit`` raises scikit-learn's ``NotFittedError``.

    **Predictions return one type.** Every prediction method (``expected_purchases``,
    ``probability_alive``, ``probability_no_purchase``, ``expected_purchases_new``,
    ``log_likelihood``, ``log_probability_alive``, ``expected_average_spend``) returns a numpy
    float64 array with the broadcast shape of its inputs: one value per customer, in input order,
    for array-like inputs (lists, arrays, Series or DataFrame columns: a Series' index is not
    kept, so rebuild a Series with ``pd.Series(pred, index=summary.index)`` when you need one),
    and a 0-d array for scalar inputs (``float(pred)`` gives the number).
    ``purchase_count_distribution`` is an array over counts; ``population_mean_spend`` a float.

    **Convergence.** A fit converges when its best optimum has a zero gradient (max-abs below
    ``tol``, or a negligible Newton decrement) and a positive definite Hessian in the parameters
    that did not run to their bound. ``converged_`` records that outcome. When it fails, ``fit``
    raises :class:`~crm_analysis.value.ConvergenceError` (a ``ValueError``, message with scipy's
    own and what to try) and the model stays unfitted (``on_failure="raise"``, the default, which
    :func:`~crm_analysis.value.fit_with_fallback` relies on to try the next penalty); with
    ``on_failure="warn"`` it keeps the best point found, warns with scikit-learn's
    ``ConvergenceWarning`` and sets ``converged_ = False``.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on the natural parameters added to the mean negative log-likelihood per
        customer (the lifetimes convention). 0 gives the plain maximum-likelihood estimate.
    n_starts : int, default 4
        Maximum number of optimiser starts; fitting stops once two starts agree.
    random_state : int or None, default 0
        Seed for the extra starting points (fits are deterministic for an int).
    tol : float, default 1e-6
        Largest accepted gradient (max-abs, per customer, log-parameter space) at the optimum.
    on_failure : {"raise", "warn"}, default "raise"
        What ``fit`` does when the optimum fails the convergence checks (see above).
    """

    prediction_rule: str = PREDICTION_RULE
    param_names: tuple[str, ...] = ()

    def __init__(
        self,
        penalizer_coef: float = 0.0,
        n_starts: int = 4,
        random_state: int | None = 0,
        tol: float = 1e-6,
        on_failure: str = "raise",
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.n_starts = n_starts
        self.random_state = random_state
        self.tol = tol
        self.on_failure = on_failure

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "params_")

    def _validate_settings(self) -> None:
        """Check the settings (every model's ``fit`` calls this first)."""
        if not (isinstance(self.penalizer_coef, int | float) and self.penalizer_coef >= 0):
            raise ValueError(f"penalizer_coef must be a number >= 0, got {self.penalizer_coef!r}")
        if not (isinstance(self.n_starts, int | np.integer) and self.n_starts >= 1):
            raise ValueError(f"n_starts must be an integer >= 1, got {self.n_starts!r}")
        if not (isinstance(self.tol, int | float) and self.tol > 0):
            raise ValueError(f"tol must be a number > 0, got {self.tol!r}")
        if self.on_failure not in ON_FAILURE:
            raise ValueError(f"on_failure must be one of {ON_FAILURE}, got {self.on_failure!r}")

    def _fitted_params(self) -> tuple[float, ...]:
        check_is_fitted(self, msg=f"{type(self).__name__} is not fitted yet: call "
                                  "fit(summary) first")
        return tuple(self.params_[n] for n in self.param_names)

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            fitted = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({fitted}; fitted on {self.n_customers_} customers)"
        return (f"{type(self).__name__}(penalizer_coef={self.penalizer_coef}, "
                f"n_starts={self.n_starts}, random_state={self.random_state}, tol={self.tol})")


class TransactionModel(MaximumLikelihoodModel, ABC):
    """Base of :class:`~crm_analysis.value.BetaGeo` and :class:`~crm_analysis.value.ParetoNBD`.

    Settings as for :class:`MaximumLikelihoodModel`.
    """

    model_name: str = ""
    _hessian_step: float = 1e-5
    _analytic_hessian: bool = False

    # -- to be provided by each model ----------------------------------------------------------
    @abstractmethod
    def _objective(self, data: CompressedRFM) -> Objective:
        """``(z, hessian=False) -> (f, g[, H])``, see :data:`~._fitting.Objective`."""

    @abstractmethod
    def _start(self, data: CompressedRFM) -> np.ndarray:
        """First starting point (log parameters), scaled to the data's time unit."""

    # -- fitting -------------------------------------------------------------------------------
    def fit(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: Sequence[float] | np.ndarray | None = None,
        recency: Sequence[float] | np.ndarray | None = None,
        T: Sequence[float] | np.ndarray | None = None,
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> TransactionModel:
        """Fit by maximum likelihood.

        Parameters
        ----------
        summary : DataFrame, optional
            One row per customer with ``frequency`` (repeat purchase periods), ``recency`` and
            ``T`` (time units of your choice, e.g. weeks), as from
            :func:`crm_analysis.features.rfm_summary`.
        frequency, recency, T : array-like, optional
            The same columns as arrays, when no ``summary`` is given.
        weights : array-like, optional
            Number of customers each row stands for (default 1 each).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad settings or input (missing columns, negative or NaN values, recency > T).
        ConvergenceError
            The optimum failed the convergence checks (a ``ValueError``; with
            ``on_failure="warn"`` a ``ConvergenceWarning`` instead, and ``converged_`` is False).
        """
        self._validate_settings()
        x, t_x, age = columns_or_arrays(
            summary, ("frequency", "recency", "T"),
            {"frequency": frequency, "recency": recency, "T": T},
        )
        validate_rfm(x, t_x, age)
        t_x = np.minimum(t_x, age)  # absorb rounding within the validation tolerance
        data = CompressedRFM.from_arrays(
            x, t_x, age, None if weights is None else np.asarray(weights))
        result = fit_mle(
            self._objective(data), self.param_names, self._start(data),
            n_customers=data.n_customers, penalizer_coef=self.penalizer_coef,
            n_starts=self.n_starts, random_state=self.random_state, tol=self.tol,
            model=self.model_name, hessian_step=self._hessian_step,
            analytic_hessian=self._analytic_hessian, on_failure=self.on_failure,
        )
        self._set_result(result, data)
        self.period_days_ = period_of(summary)
        return self

    def predict(self, summary: pd.DataFrame, horizon: float) -> pd.Series:
        """Expected repeat purchases of each customer of ``summary`` in the next ``horizon``.

        Takes the summary table as :meth:`fit` does: the same columns, checked the same way,
        and its time unit checked against the fit's (a summary in days given to a model fitted
        in weeks raises instead of returning figures seven times off).

        Parameters
        ----------
        summary : DataFrame
            ``frequency``, ``recency`` and ``T`` per customer, as from
            :func:`crm_analysis.features.rfm_summary`.
        horizon : float
            Length of the future period, in the summary's time unit.

        Returns
        -------
        Series
            ``expected_purchases``, indexed like ``summary``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            Missing columns, bad values, or a summary in another time unit than the fit's.
        """
        self._fitted_params()
        same_period(getattr(self, "period_days_", None), summary, model=type(self).__name__)
        x, t_x, age = columns_or_arrays(summary, ("frequency", "recency", "T"), {})
        validate_rfm(x, t_x, age)
        return pd.Series(self.expected_purchases(horizon, x, np.minimum(t_x, age), age),
                         index=summary.index, name="expected_purchases")

    def _set_result(self, result: MLEResult, data: CompressedRFM) -> None:
        self.params_ = result.params
        self.log_likelihood_ = result.log_likelihood
        self.standard_errors_ = result.standard_errors
        self.confidence_intervals_ = result.confidence_intervals
        self.n_customers_ = round(data.n_customers)
        self.n_unique_histories_ = len(data.x)
        self.converged_ = result.converged
        self.n_starts_run_ = result.n_starts_run
        self.gradient_norm_ = result.gradient_norm
        self.notes_ = list(result.notes)

