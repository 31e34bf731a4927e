"""BG/NBD ("beta-geometric / negative binomial distribution") model of repeat purchasing.

Reference: Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your Customers' the
Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science* 24(2), 275-284 (below:
FHL 2005, equation numbers of that paper), and the companion notes "Implementing the BG/NBD Model
for Customer Base Analysis in Excel" (2005) and "Computing P(alive) Using the BG/NBD Model" (2008).

Model, in the summary's time unit (e.g. weeks): while active, a customer buys as a Poisson process
with rate lambda ~ Gamma(r, alpha) (shape r, rate alpha); after each purchase she drops out with
probability p ~ Beta(a, b). ``frequency`` x counts repeat purchases, ``recency`` t_x is the time of
the last purchase and ``T`` the age, both measured from the first purchase.

Caveat: a customer with no repeat purchase cannot have dropped out (dropout happens only right
after a purchase), so P(alive | x=0) = 1 under BG/NBD, whatever her age. This is a property of the
model, not a bug; prefer the Pareto/NBD when this matters (see docs/value_models.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, log_expit, polygamma, xlogy
from scipy.stats import nbinom

from crm_analysis.value._base import TransactionModel
from crm_analysis.value._fitting import (
    CompressedRFM,
    Objective,
    broadcast_inputs,
    dot,
    log_space_derivatives,
    prediction,
)

__all__ = ["BetaGeo"]

NO_DROPOUT_A = 1e-6
"""Below this ``a`` the fitted dropout is nil (a fit on its bound): predictions use the limit."""


def _euler_tail(r: float, a: float, b: float, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``(1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)) / (a-1)``, the bracket of FHL 2005
    eq. 10 after Euler's transformation 2F1(a', b'; c'; z) = (1-z)^(c'-a'-b') 2F1(c'-a', c'-b'; c';
    z), which keeps the hypergeometric function O(1) for large x (no overflow)."""
    am1 = a - 1.0
    if abs(am1) < 1e-7:  # removable singularity at a = 1: evaluate just beside it
        am1 = 1e-7
    big_a = a + b - 1.0 - r
    c, z = np.broadcast_arrays(np.asarray(a + b + x - 1.0, dtype=float), np.asarray(z, float))
    f = np.array(hyp2f1(big_a, am1, c, z), dtype=float, ndmin=1)
    # scipy (cephes) returns NaN for z > 0.9 when c - a - b is an exact integer (e.g. r = a):
    # evaluate there just beside it (relative shift 1e-8 of the first parameter)
    d = (c - big_a - am1).reshape(f.shape)
    bad = ~np.isfinite(f) | ((z.reshape(f.shape) > 0.9) & (np.abs(d - np.round(d)) < 1e-9))
    if bad.any():
        shifted = big_a + 1e-8 * max(1.0, abs(big_a))
        f[bad] = hyp2f1(shifted, am1, c.reshape(f.shape)[bad], z.reshape(f.shape)[bad])
    f = f.reshape(z.shape)
    return -np.expm1(am1 * np.log1p(-z) + np.log(f)) / am1


class BetaGeo(TransactionModel):
    """BG/NBD model (FHL 2005), fitted by maximum likelihood.

    Parameters
    ----------
    penalizer_coef, n_starts, random_state, tol, on_failure
        See :class:`~crm_analysis.value._base.MaximumLikelihoodModel`.

    Attributes
    ----------
    params_ : dict
        ``r`` and ``alpha`` (gamma shape and rate of the purchase rate; alpha in the summary's
        time unit) and ``a``, ``b`` (beta distribution of the dropout probability).
    log_likelihood_ : float
        Total log-likelihood at the estimate (FHL 2005 eq. 6 summed over customers).
    standard_errors_, confidence_intervals_ : dict, DataFrame
        From the inverse Hessian of the negative log-likelihood (log-parameters, delta method);
        the 95% intervals are exp(log estimate +- 1.96 se), so they stay positive.
    n_customers_ : int
    converged_ : bool
        Whether the optimum passed the convergence checks (zero gradient, positive definite
        Hessian); a fit that fails them raises ``ConvergenceError``, or with
        ``on_failure="warn"`` warns and leaves this False.
    period_days_ : float or None
        Length of the summary's time unit in days (7.0 for weeks), from its ``attrs``; None
        when fitted on arrays. Predictions for a summary in another unit are refused.
    notes_ : list of str
        What to know about the fit: starts that ended at another point, parameters that ran to
        their bound (no standard error). Empty for a clean fit.

    Examples
    --------
    >>> from crm_analysis.value import BetaGeo
    >>> summary = {"frequency": [0, 2, 5, 1, 0, 3], "recency": [0, 20, 30, 5, 0, 35],
    ...            "T": [40, 38, 36, 30, 20, 39]}
    >>> model = BetaGeo(penalizer_coef=0.01).fit(**summary)  # 6 customers: needs a penalty
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    >>> float(model.probability_alive(0, 0, 40))  # no repeat purchase: always 1 under BG/NBD
    1.0
    """

    param_names = ("r", "alpha", "a", "b")
    model_name = "BG/NBD"
    _analytic_hessian = True

    # -- likelihood ----------------------------------------------------------------------------
    def _start(self, data: CompressedRFM) -> np.ndarray:
        w = data.weight
        rate = max(dot(w, data.x), 1.0) / max(dot(w, data.T), 1e-12)
        return np.log([0.9, 0.9 / rate, 0.9, 1.1])  # shapes off the integers (see _euler_tail)

    def _objective(self, data: CompressedRFM) -> Objective:
        """Negative log-likelihood (FHL 2005 eq. 6, in the log-sum-exp form of the Excel note).

        ln L_i = A1 + A2 + ln(exp(A3) + [x > 0] exp(A4)) with
        A1 = ln G(r+x) - ln G(r) + r ln alpha,
        A2 = ln G(a+b) + ln G(b+x) - ln G(b) - ln G(a+b+x),
        A3 = -(r+x) ln(alpha+T),  A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x).
        Sums are regrouped: A1 and A2 by distinct x, A3 by distinct T, and only the softplus of
        D = A4 - A3 is evaluated per distinct history with x > 0.
        """
        xv = data.x_values
        n_x = np.bincount(data.ix, weights=data.weight, minlength=len(xv))
        w_T = np.bincount(data.iT, weights=data.weight, minlength=len(data.T_values))
        xw_T = np.bincount(data.iT, weights=data.weight * data.x, minlength=len(data.T_values))
        pos = data.x > 0
        wp, xp = data.weight[pos], data.x[pos]
        ixp, itp, iTp = data.ix[pos], data.it[pos], data.iT[pos]
        Tv, tv = data.T_values, data.t_values
        n = float(n_x.sum())
        xpos = xv > 0
        nxv = len(xv)

        def neg_ll(z: np.ndarray, hessian: bool = False) -> tuple:
            r, alpha, a, b = theta = np.exp(z)
            log_alpha = np.log(alpha)
            # A1 + A2 of the Excel note, summed per distinct x
            ll = (dot(n_x, gammaln(r + xv) + gammaln(b + xv) - gammaln(a + b + xv))
                  + n * (r * log_alpha - gammaln(r) + gammaln(a + b) - gammaln(b)))
            g = np.array([
                dot(n_x, digamma(r + xv)) + n * (log_alpha - digamma(r)),
                n * r / alpha,
                n * digamma(a + b) - dot(n_x, digamma(a + b + xv)),
                n * (digamma(a + b) - digamma(b)) + dot(n_x, digamma(b + xv) - digamma(a + b + xv)),
            ])
            # A3 = -(r+x) ln(alpha+T), summed per distinct T
            log_aT, inv_T = np.log(alpha + Tv), 1.0 / (alpha + Tv)
            coef_T = r * w_T + xw_T
            ll -= dot(log_aT, coef_T)
            g[0] -= dot(log_aT, w_T)
            g[1] -= dot(coef_T, inv_T)
            # ln(1 + exp(D)), D = A4 - A3, per distinct history with x > 0
            inv_t = 1.0 / (alpha + tv)
            inv_bx1 = np.divide(1.0, b + xv - 1.0, where=xpos, out=np.zeros_like(xv))
            log_c = np.log(a) + np.log(inv_bx1, where=xpos, out=np.zeros_like(xv))
            rx = r + xp
            diff = log_aT[iTp] - np.log(alpha + tv)[itp]
            dinv = inv_T[iTp] - inv_t[itp]
            dd = log_c[ixp] + rx * diff
            e = np.exp(-np.abs(dd))
            ll += dot(wp, np.maximum(dd, 0.0) + np.log1p(e))
            sig = np.where(dd >= 0, 1.0, e) / (1.0 + e)
            ws = wp * sig
            rxd = rx * dinv
            ws_x = np.bincount(ixp, weights=ws, minlength=nxv)
            g += np.array([dot(ws, diff), dot(ws, rxd), ws.sum() / a, -dot(ws_x, inv_bx1)])
            if not hessian:
                g_z, _ = log_space_derivatives(theta, g)
                return -float(ll), -g_z
            h = np.zeros((4, 4))
            tri_rx, tri_abx, tri_bx = (polygamma(1, v) for v in (r + xv, a + b + xv, b + xv))
            tri_ab = polygamma(1, a + b)
            h[0, 0] = dot(n_x, tri_rx) - n * polygamma(1, r)
            h[0, 1] = n / alpha - dot(w_T, inv_T)
            h[1, 1] = -n * r / alpha**2 + dot(coef_T, inv_T**2)
            h[2, 2] = n * tri_ab - dot(n_x, tri_abx)
            h[2, 3] = h[2, 2]
            h[3, 3] = n * (tri_ab - polygamma(1, b)) + dot(n_x, tri_bx - tri_abx)
            # softplus part: sum w [s(1-s) grad D grad D' + s hess D]
            q = ws * (1.0 - sig)
            q_diff, q_rxd = q * diff, q * rxd
            q_x = np.bincount(ixp, weights=q, minlength=nxv)
            qd_x = np.bincount(ixp, weights=q_diff, minlength=nxv)
            qr_x = np.bincount(ixp, weights=q_rxd, minlength=nxv)
            h[0, 0] += dot(q_diff, diff)
            h[0, 1] += dot(q_diff, rxd) + dot(ws, dinv)
            h[1, 1] += dot(q_rxd, rxd) - dot(ws * rx, inv_T[iTp] ** 2 - inv_t[itp] ** 2)
            h[0, 2] += q_diff.sum() / a
            h[0, 3] -= dot(qd_x, inv_bx1)
            h[1, 2] += q_rxd.sum() / a
            h[1, 3] -= dot(qr_x, inv_bx1)
            h[2, 2] += (q.sum() - ws.sum()) / a**2
            h[2, 3] -= dot(q_x, inv_bx1) / a
            h[3, 3] += dot(q_x + ws_x, inv_bx1**2)
            h = np.triu(h) + np.triu(h, 1).T
            g_z, h_z = log_space_derivatives(theta, g, h)
            return -float(ll), -g_z, -h_z

        return neg_ll

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters (FHL 2005 eq. 6)."""
        r, alpha, a, b = self._fitted_params()
        x, t_x, age = broadcast_inputs(frequency, recency, T)
        a3 = -(r + x) * np.log(alpha + age)
        a4 = np.log(a) - np.log(np.where(x > 0, b + x - 1.0, 1.0)) - (r + x) * np.log(alpha + t_x)
        # betaln(a, b+x) - betaln(a, b) equals A2 of the Excel note
        ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
              + np.where(x > 0, np.logaddexp(a3, a4), a3))
        return prediction(ll)

    # -- predictions ---------------------------------------------------------------------------
    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(customer still active at T | x, t_x, T) (Fader, Hardie & Lee 2008 note, eq. 2).

        P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)).
        Equals 1 for customers with no repeat purchase (see the module caveat).
        """
        r, alpha, a, b = self._fitted_params()
        x, t_x, age = broadcast_inputs(frequency, recency, T)
        dd = (np.log(a) - np.log(np.where(x > 0, b + x - 1.0, 1.0))
              + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x)))
        p = np.where(x > 0, expit(-dd), 1.0)
        return prediction(p)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected number of purchases in (T, T + t] given the history (FHL 2005 eq. 10).

        E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] P(alive), with t in the summary's time unit.
        """
        r, alpha, a, b = self._fitted_params()
        t, x, t_x, age = broadcast_inputs(t, frequency, recency, T)
        if (t < 0).any():
            raise ValueError("t must be >= 0")
        z = t / (alpha + age + t)
        alive = self.probability_alive(x, t_x, age)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = np.asarray((a + b + x - 1.0) * _euler_tail(r, a, b, x, z) * alive, float)
        if a < NO_DROPOUT_A:
            # a -> 0: the dropout probability is 0 for everyone (the fit found no dropout), and
            # eq. 10 tends to the NBD's (r + x) t / (alpha + T), which 2F1 cannot reach in
            # floating point at a = 1e-11 (a fit on its bound)
            limit = (r + x) * t / (alpha + age) * alive
            out = np.where(np.isfinite(out), out, limit)
        return prediction(out)

    def probability_no_purchase(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(no purchase in (T, T + t] | x, t_x, T).

        = (1 - P(alive)) + P(alive) ((alpha+T)/(alpha+T+t))^(r+x): an active customer's rate has
        posterior Gamma(r+x, alpha+T), and she cannot drop out before her next purchase. Equals
        L(x, t_x, T+t) / L(x, t_x, T), the likelihood ratio of the extended history.
        """
        r, alpha, _a, _b = self._fitted_params()
        t, x, t_x, age = broadcast_inputs(t, frequency, recency, T)
        alive = self.probability_alive(x, t_x, age)
        stay = np.exp(-(r + x) * np.log1p(t / (alpha + age)))
        return prediction(1.0 - alive + alive * stay)

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """Unconditional E[X(t)] for a customer who has just made her first purchase (eq. 7)."""
        self._fitted_params()
        t_arr = np.asarray(t, dtype=float)
        zero = np.zeros_like(t_arr)
        return self.expected_purchases(t_arr, zero, zero, zero)

    def purchase_count_distribution(self, t: float, n_max: int) -> np.ndarray:
        """P(X(t) = x) for x = 0..n_max, for a new customer (FHL 2005 eq. 8).

        P(X(t)=x) = B(a, b+x)/B(a,b) NB(x; r, alpha/(alpha+t))
                    + [x > 0] B(a+1, b+x-1)/B(a,b) P(NB(r, alpha/(alpha+t)) >= x).
        The returned probabilities sum to 1 minus P(X(t) > n_max).
        """
        r, alpha, a, b = self._fitted_params()
        x = np.arange(n_max + 1, dtype=float)
        pr = alpha / (alpha + t)
        log_nb = (gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(pr)
                  + xlogy(x, t / (alpha + t)))
        first = np.exp(betaln(a, b + x) - betaln(a, b) + log_nb)
        with np.errstate(invalid="ignore"):
            second = np.exp(betaln(a + 1.0, np.maximum(b + x - 1.0, 1e-300)) - betaln(a, b)
                            + np.log(nbinom.sf(x - 1, r, pr)))
        return first + np.where(x > 0, second, 0.0)

    # convenience
    def log_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """log P(alive), accurate when P(alive) is tiny."""
        r, alpha, a, b = self._fitted_params()
        x, t_x, age = broadcast_inputs(frequency, recency, T)
        dd = (np.log(a) - np.log(np.where(x > 0, b + x - 1.0, 1.0))
              + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x)))
        return prediction(np.where(x > 0, log_expit(-dd), 0.0))
