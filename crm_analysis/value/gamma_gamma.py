"""Gamma-Gamma model of spend per transaction.

References: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: Using Iso-Value
Curves for Customer Base Analysis", *Journal of Marketing Research* 42(4), 415-430 (below: FHL
2005b); Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (below: the note; its
equation numbers).

Model: a customer's transaction values z_1..z_x are i.i.d. Gamma(p, nu) (shape p, rate nu), and
nu ~ Gamma(q, gamma) across customers (gamma in currency units). Spend is assumed independent of
the purchase process (check this on your data: correlation of frequency and monetary_value).
Only repeat transactions are used (x >= 1, mean spend m > 0).

Likelihood of the mean spend m of x transactions (the note, eq. 4 with the Jacobian of m = sum/x):

    f(m | p, q, gamma; x) = G(px+q) / (G(px) G(q)) gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)

Conditional expected spend per transaction (the note, eq. 5; FHL 2005b eq. 5):

    E[M | p, q, gamma, m, x] = (gamma + m x) p / (p x + q - 1)
        = (q-1)/(px+q-1) * gamma p/(q-1)  +  px/(px+q-1) * m,

a weighted average of the population mean gamma p / (q-1) (finite only for q > 1) and the
customer's own mean.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln, polygamma

from crm_analysis.value._base import MaximumLikelihoodModel
from crm_analysis.value._fitting import (
    _codes,
    as_float_array,
    broadcast_inputs,
    columns_or_arrays,
    dot,
    fit_mle,
    log_space_derivatives,
    prediction,
)

__all__ = ["GammaGamma"]

logger = logging.getLogger(__name__)


class GammaGamma(MaximumLikelihoodModel):
    """Gamma-Gamma spend model, fitted by maximum likelihood.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        L2 penalty on (p, q, gamma) added to the mean negative log-likelihood per customer.
    n_starts : int, default 4
        Maximum number of optimiser starts; fitting stops once two starts agree.
    random_state : int or None, default 0
        Seed for the extra starting points.
    tol : float, default 1e-6
        Largest accepted gradient (max-abs, per customer, log space) at the optimum.
    on_failure : {"raise", "warn"}, default "raise"
        What ``fit`` does when the optimum fails the convergence checks: raise
        :class:`~crm_analysis.value.ConvergenceError`, or warn and set ``converged_ = False``
        (see :class:`~crm_analysis.value._base.MaximumLikelihoodModel`).

    Attributes
    ----------
    params_ : dict
        ``p`` (shape of a transaction's value), ``q`` and ``gamma`` (shape and rate of the
        gamma distribution of nu; gamma in currency units).
    log_likelihood_, standard_errors_, confidence_intervals_, converged_, notes_
        As for :class:`~crm_analysis.value.BetaGeo`.
    n_customers_ : int
        Customers used in the fit (frequency >= 1 and monetary_value > 0).
    n_excluded_ : dict
        ``{"frequency_zero": ..., "non_positive_spend": ...}``: customers left out.

    Examples
    --------
    >>> from crm_analysis.value import GammaGamma
    >>> gg = GammaGamma().fit(frequency=[1, 2, 5, 1, 3, 2, 0], monetary_value=[20.0, 35.0, 18.0,
    ...                       60.0, 25.0, 40.0, 0.0])
    >>> gg.n_excluded_["frequency_zero"]
    1
    """

    param_names = ("p", "q", "gamma")
    model_name = "Gamma-Gamma"

    def fit(
        self,
        summary: pd.DataFrame | None = None,
        *,
        frequency: object = None,
        monetary_value: object = None,
        weights: object = None,
    ) -> GammaGamma:
        """Fit on customers with at least one repeat purchase and a positive mean spend.

        Parameters
        ----------
        summary : DataFrame, optional
            With ``frequency`` (repeat purchases) and ``monetary_value`` (mean spend per repeat
            purchase, currency units), as from :func:`crm_analysis.features.rfm_summary`.
        frequency, monetary_value : array-like, optional
            The same as arrays, when no ``summary`` is given.
        weights : array-like, optional
            Number of customers each row stands for (default 1).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Bad settings or input (missing columns, NaN, negative or fractional frequencies, no
            customer to fit on); :class:`~crm_analysis.value.ConvergenceError` (a ``ValueError``)
            when the optimum fails the convergence checks and ``on_failure="raise"``.
        """
        self._validate_settings()
        if summary is not None:
            if frequency is not None or monetary_value is not None:
                raise TypeError("give either a summary DataFrame or arrays, not both")
            missing = [c for c in ("frequency", "monetary_value") if c not in summary.columns]
            if missing:
                raise ValueError(f"summary is missing column(s) {missing}")
            frequency, monetary_value = summary["frequency"], summary["monetary_value"]
        if frequency is None or monetary_value is None:
            raise TypeError("pass a summary DataFrame or both frequency and monetary_value")
        x = as_float_array("frequency", frequency)
        m = as_float_array("monetary_value", monetary_value)
        if len(x) != len(m):
            raise ValueError("frequency and monetary_value have different lengths")
        w = np.ones_like(x) if weights is None else as_float_array("weights", weights)
        if (x < 0).any() or (x != np.round(x)).any():
            raise ValueError("frequency must be whole numbers >= 0")
        zero = x == 0
        non_positive = ~zero & (m <= 0)
        self.n_excluded_ = {"frequency_zero": int(zero.sum()),
                            "non_positive_spend": int(non_positive.sum())}
        if non_positive.any():
            logger.warning(
                "Gamma-Gamma: %d customer(s) with repeat purchases but monetary_value <= 0 "
                "excluded (returns or free orders?); %d with frequency 0 excluded as "
                "uninformative", non_positive.sum(), zero.sum())
        elif zero.any():
            logger.info("Gamma-Gamma: %d customer(s) with frequency 0 excluded (uninformative)",
                        zero.sum())
        keep = ~zero & ~non_positive & (w > 0)
        if not keep.any():
            raise ValueError("no customer with frequency >= 1 and monetary_value > 0 to fit on")
        x, m, w = x[keep], m[keep], w[keep]
        result = fit_mle(
            self._objective(x, m, w), self.param_names, self._start(m, w),
            n_customers=float(w.sum()), penalizer_coef=self.penalizer_coef,
            n_starts=self.n_starts, random_state=self.random_state, tol=self.tol,
            model=self.model_name, analytic_hessian=True, on_failure=self.on_failure,
        )
        self.params_ = result.params
        self.log_likelihood_ = result.log_likelihood
        self.standard_errors_ = result.standard_errors
        self.confidence_intervals_ = result.confidence_intervals
        self.n_customers_ = round(w.sum())
        self.converged_ = result.converged
        self.n_starts_run_ = result.n_starts_run
        self.gradient_norm_ = result.gradient_norm
        self.notes_ = list(result.notes)
        return self

    @staticmethod
    def _start(m: np.ndarray, w: np.ndarray) -> np.ndarray:
        mean = dot(w, m) / w.sum()
        return np.log([1.0, 2.0, mean])  # population mean p gamma / (q - 1) = observed mean

    @staticmethod
    def _objective(x: np.ndarray, m: np.ndarray, w: np.ndarray):
        """Negative log-likelihood of the note's eq. 4, summed with weights; terms that depend
        only on x are summed per distinct x, only ln(gamma + m x) is evaluated per customer."""
        xv, ix = _codes(x)
        n_x = np.bincount(ix, weights=w)
        n = float(w.sum())
        xm = x * m
        wx = w * x
        s_lm = dot(w, np.log(m))
        s_xl = dot(wx, np.log(m) + np.log(x))

        def neg_ll(z: np.ndarray, hessian: bool = False) -> tuple:
            p, q, gamma = theta = np.exp(z)
            v = xm + gamma
            log_v = np.log(v)
            inv_v = 1.0 / v
            sxl, sl = dot(wx, log_v), dot(w, log_v)
            sxr, sr = dot(wx, inv_v), dot(w, inv_v)
            px = p * xv
            ll = (dot(n_x, gammaln(px + q) - gammaln(px)) - n * gammaln(q) + n * q * np.log(gamma)
                  + p * s_xl - s_lm - p * sxl - q * sl)
            psi_pxq = digamma(px + q)
            g = np.array([
                dot(n_x * xv, psi_pxq - digamma(px)) + s_xl - sxl,
                dot(n_x, psi_pxq) - n * digamma(q) + n * np.log(gamma) - sl,
                n * q / gamma - p * sxr - q * sr,
            ])
            if not hessian:
                return -float(ll), -log_space_derivatives(theta, g)[0]
            inv_v2 = inv_v * inv_v
            tri_pxq = polygamma(1, px + q)
            h = np.empty((3, 3))
            h[0, 0] = dot(n_x * xv * xv, tri_pxq - polygamma(1, px))
            h[0, 1] = h[1, 0] = dot(n_x * xv, tri_pxq)
            h[1, 1] = dot(n_x, tri_pxq) - n * polygamma(1, q)
            h[0, 2] = h[2, 0] = -sxr
            h[1, 2] = h[2, 1] = n / gamma - sr
            h[2, 2] = -n * q / gamma**2 + p * dot(wx, inv_v2) + q * dot(w, inv_v2)
            g_z, h_z = log_space_derivatives(theta, g, h)
            return -float(ll), -g_z, -h_z

        return neg_ll

    def predict(self, summary: pd.DataFrame) -> pd.Series:
        """Expected spend per future purchase of each customer of ``summary``.

        Takes the summary table as :meth:`fit` does (``frequency`` and ``monetary_value``).

        Returns
        -------
        Series
            ``expected_order_value`` in the amounts' currency, indexed like ``summary``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            Missing columns or bad values.
        """
        self._fitted_params()
        x, m = columns_or_arrays(summary, ("frequency", "monetary_value"), {})
        return pd.Series(self.expected_average_spend(x, m), index=summary.index,
                         name="expected_order_value")

    def expected_average_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """Expected spend per future transaction, E[M | x, m] = (gamma + m x) p / (p x + q - 1).

        Parameters
        ----------
        frequency : array-like
            Repeat purchases x (0 allowed: returns the population mean gamma p / (q - 1), which
            is infinite when q <= 1).
        monetary_value : array-like
            Mean spend per repeat purchase (currency units; ignored where x = 0).

        Returns
        -------
        ndarray
            Currency units per transaction, float64, the broadcast shape of the inputs (see
            :data:`~crm_analysis.value._fitting.PREDICTION_RULE`).
        """
        p, q, gamma = self._fitted_params()
        x, m = broadcast_inputs(frequency, monetary_value)
        m = np.where(x > 0, m, 0.0)
        denom = p * x + q - 1.0
        with np.errstate(divide="ignore"):
            out = np.where(denom > 0, (gamma + m * x) * p / np.where(denom > 0, denom, 1.0), np.inf)
        return prediction(out)

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, gamma p / (q - 1) (inf if q <= 1)."""
        p, q, gamma = self._fitted_params()
        return gamma * p / (q - 1.0) if q > 1 else float("inf")

