"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

References: Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting Your
Customers: Who Are They and What Will They Do Next?", *Management Science* 33(1); Fader, P. S.,
Hardie, B. G. S. and Lee, K. L. (2005), "A Note on Deriving the Pareto/NBD Model and Related
Expressions" (below: the FHL note; equation numbers of that note); Fader & Hardie (2006),
"Deriving an Expression for P(X(t) = x) Under the Pareto/NBD Model".

Model, in the summary's time unit: while alive, purchases follow a Poisson process with rate
lambda ~ Gamma(r, alpha); the unobserved lifetime is exponential with rate mu ~ Gamma(s, beta).

Likelihood (FHL note eq. 22, with A0 from eqs. 23-24): for a customer with x repeat purchases,
last at t_x, observed for T,

    L = G(r+x) alpha^r beta^s / G(r) * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0 ],
    A0 = m * int_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du,  m = r+s+x,

where A0 is the difference of a term l(y) at y = t_x and y = T. The note writes l(y) with
2F1(m, s+1; m+1; z) (alpha >= beta) or 2F1(m, r+x; m+1; z) (alpha < beta); we apply Euler's
transformation so that only the well-behaved 2F1(1, b; m+1; z), 0 <= z < 1, appears:

    alpha >= beta: l(y) = (alpha+y)^-(r+x) (beta+y)^-s 2F1(1, r+x; m+1; (alpha-beta)/(alpha+y))
    alpha <  beta: l(y) = (alpha+y)^-(r+x-1) (beta+y)^-(s+1) 2F1(1, s+1; m+1; (beta-alpha)/(beta+y))

and we work with logarithms throughout (A0 = l(t_x) - l(T) as l1 + log1p(-exp(l2 - l1))).

Gradient: analytic everywhere except for the derivatives of ln 2F1(1, b; c; z) with respect to
its parameters b and c, which have no closed form in scipy; those are central differences
(relative step 1e-5; error ~1e-10). The z-derivative is exact, d/dz 2F1(1, b; c; z) =
(b/c) 2F1(2, b+1; c+1; z). The hypergeometric function is evaluated once per distinct
(frequency, recency) and (frequency, T) pair, not per customer.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad_vec
from scipy.special import digamma, gammaln, hyp2f1, xlogy

from crm_analysis.value._base import TransactionModel
from crm_analysis.value._fitting import CompressedRFM, Objective, broadcast_inputs, dot, wrap

__all__ = ["ParetoNBD"]

_FD_STEP = 1e-5


_SERIES_Z = 0.9
"""Above this argument scipy's real hyp2f1 (cephes, scipy 1.17) switches to a 1-z transformation
that returned NaN or wrong finite values in two cases we met: c - a - b an exact integer (e.g. at
r = 1 or s = 1) and b > ~30 (many purchases) near z = 1; there we sum the series ourselves.
Elsewhere scipy agreed with the series to 1e-13 in 10^5 random checks."""
_SERIES_B = 20.0
_SERIES_MAX_TERMS = 2_000_000


def _positive_series(a: float, b: float, c: float, z: float) -> float:
    """2F1(a, b; c; z) = sum_k (a)_k (b)_k / ((c)_k k!) z^k for 0 <= z < 1, 0 < b < c, a in {1, 2}:
    all terms positive, summed in blocks with log-space term ratios (no overflow, no
    cancellation). Returns NaN if more than _SERIES_MAX_TERMS terms would be needed."""
    block = 4096
    total, log_term, k0 = 0.0, 0.0, 0
    log_z = np.log(z)
    while k0 < _SERIES_MAX_TERMS:
        k = np.arange(k0, k0 + block, dtype=float)
        log_ratio = np.log((a + k) * (b + k) / ((c + k) * (1.0 + k))) + log_z
        cum = log_term + np.concatenate(([0.0], np.cumsum(log_ratio[:-1])))
        total += float(np.exp(cum).sum())
        log_term = cum[-1] + log_ratio[-1]
        # the remaining terms are bounded by a geometric series with ratio <= z (a=1) or by its
        # square-root-slower analogue (a=2): stop far below double precision
        if np.exp(log_term) * (k0 + block) / (1.0 - z) < 1e-17 * total:
            return total
        k0 += block
    return float("nan")


def _hyp2f1_pos(a: float, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """2F1(a, b; c; z) for 0 <= z < 1, 0 < b < c, a in {1, 2}: scipy, except in the region where
    scipy fails (see _SERIES_Z), which is summed by :func:`_positive_series`."""
    out = hyp2f1(a, b, c, z)
    d = c - a - b
    hard = (z > _SERIES_Z) & ((b > _SERIES_B) | (np.abs(d - np.round(d)) < 1e-9)
                              | ~np.isfinite(out))
    for i in np.flatnonzero(hard):
        out[i] = _positive_series(a, b[i], c[i], z[i])
    return out


def _log_ell(
    params: tuple[float, float, float, float], x: np.ndarray, y: np.ndarray, grad: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """ln l(y) of the module docstring and, optionally, its gradient (natural parameters).

    Returns ``(values, gradient)`` with gradient of shape (len(x), 4) in the order r, alpha, s,
    beta (None unless ``grad``).
    """
    r, alpha, s, beta = params
    c = r + s + x + 1.0
    log_ay, log_by = np.log(alpha + y), np.log(beta + y)
    if alpha >= beta:
        b = r + x
        z = (alpha - beta) / (alpha + y)
        base = -(r + x) * log_ay - s * log_by
    else:
        b = np.full_like(x, s + 1.0)
        z = (beta - alpha) / (beta + y)
        base = -(r + x - 1.0) * log_ay - (s + 1.0) * log_by
    if not grad:
        return base + np.log(_hyp2f1_pos(1.0, b, c, z)), None

    n = len(x)
    hb, hc = _FD_STEP * np.maximum(1.0, b), _FD_STEP * c
    # one vectorised call each: F, F(b+-hb), F(c+-hc); then F(2, b+1; c+1) for d/dz
    f1 = _hyp2f1_pos(
        1.0,
        np.concatenate([b, b + hb, b - hb, b, b]),
        np.concatenate([c, c, c, c + hc, c - hc]),
        np.tile(z, 5),
    )
    vals = np.concatenate([f1, _hyp2f1_pos(2.0, b + 1.0, c + 1.0, z)]).reshape(6, n)
    log_f = np.log(vals[0])
    d_b = (np.log(vals[1]) - np.log(vals[2])) / (2.0 * hb)
    d_c = (np.log(vals[3]) - np.log(vals[4])) / (2.0 * hc)
    d_z = (b / c) * vals[5] / vals[0]
    g = np.empty((n, 4))
    if alpha >= beta:
        g[:, 0] = -log_ay + d_b + d_c
        g[:, 1] = -(r + x) / (alpha + y) + d_z * (beta + y) / (alpha + y) ** 2
        g[:, 2] = -log_by + d_c
        g[:, 3] = -s / (beta + y) - d_z / (alpha + y)
    else:
        g[:, 0] = -log_ay + d_c
        g[:, 1] = -(r + x - 1.0) / (alpha + y) - d_z / (beta + y)
        g[:, 2] = -log_by + d_b + d_c
        g[:, 3] = -(s + 1.0) / (beta + y) + d_z * (alpha + y) / (beta + y) ** 2
    return base + log_f, g


def _log_a0(l1: np.ndarray, l2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ln(exp(l1) - exp(l2)) for l1 >= l2 and the ratio w = exp(l2 - l1) (-inf where equal)."""
    w = np.exp(np.minimum(l2 - l1, 0.0))
    with np.errstate(divide="ignore"):
        return l1 + np.log1p(-w), w


def _branches(
    params: tuple[float, float, float, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-customer log of the two terms in the bracket of FHL note eq. 22:
    B1 = ln[(alpha+T)^-(r+x) (beta+T)^-s] (alive throughout) and B2 = ln[s/(r+s+x) A0]."""
    r, alpha, s, beta = params
    b1 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    b2 = np.full_like(b1, -np.inf)
    ok = t_x < T
    if ok.any():
        l1, _ = _log_ell(params, x[ok], t_x[ok])
        l2, _ = _log_ell(params, x[ok], T[ok])
        log_a0, _ = _log_a0(l1, l2)
        if np.isnan(log_a0).any():
            raise FloatingPointError(
                "Pareto/NBD: the hypergeometric function could not be evaluated for some "
                "histories (parameters too extreme: alpha/beta ratio beyond ~1e5?)")
        b2[ok] = np.log(s) - np.log(r + s + x[ok]) + log_a0
    return b1, b2


class ParetoNBD(TransactionModel):
    """Pareto/NBD model, fitted by maximum likelihood.

    Parameters
    ----------
    penalizer_coef, n_starts, random_state, tol
        See :class:`~crm_analysis.value._base.TransactionModel`.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (gamma purchase-rate heterogeneity; alpha in the time unit) and ``s``,
        ``beta`` (gamma dropout-rate heterogeneity; beta in the time unit).
    log_likelihood_, standard_errors_, confidence_intervals_, n_customers_, converged_
        As for :class:`~crm_analysis.value.BetaGeo`.
    """

    param_names = ("r", "alpha", "s", "beta")
    model_name = "Pareto/NBD"
    _hessian_step = 1e-4

    def _start(self, data: CompressedRFM) -> np.ndarray:
        w = data.weight
        total_t = max(dot(w, data.T), 1e-12)
        rate = max(dot(w, data.x), 1.0) / total_t
        # non-integer shapes: keep c - a - b of the hypergeometric terms off the integers
        return np.log([0.9, 0.9 / rate, 0.9, max(total_t / w.sum(), 1e-6)])

    def _objective(self, data: CompressedRFM) -> Objective:
        """Negative log-likelihood, FHL note eq. 22, with the gradient described in the module."""
        xv = data.x_values
        n_x = np.bincount(data.ix, weights=data.weight, minlength=len(xv))
        n = float(n_x.sum())
        x, T, w = data.x, data.T, data.weight
        ok = data.t_x < T
        # distinct (x, y) pairs needed for l(t_x) and l(T)
        yv = np.union1d(data.t_values, data.T_values)
        ny = len(yv)
        k1 = data.ix[ok] * ny + np.searchsorted(yv, data.t_x[ok])
        k2 = data.ix[ok] * ny + np.searchsorted(yv, T[ok])
        keys = np.unique(np.concatenate([k1, k2]))
        p1, p2 = np.searchsorted(keys, k1), np.searchsorted(keys, k2)
        pair_x, pair_y = xv[keys // ny], yv[keys % ny]
        x_ok = x[ok]

        def neg_ll(z: np.ndarray, hessian: bool = False) -> tuple:
            r, alpha, s, beta = params = tuple(np.exp(z))
            log_aT, log_bT = np.log(alpha + T), np.log(beta + T)
            b1 = -(r + x) * log_aT - s * log_bT
            db1 = np.stack([-log_aT, -(r + x) / (alpha + T), -log_bT,
                            np.broadcast_to(-s / (beta + T), T.shape)], axis=1)
            b2 = np.full_like(b1, -np.inf)
            db2 = np.zeros_like(db1)
            if len(keys):
                ell, g = _log_ell(params, pair_x, pair_y, grad=True)
                l1, l2 = ell[p1], ell[p2]
                log_a0, ratio = _log_a0(l1, l2)
                with np.errstate(divide="ignore", invalid="ignore"):
                    d_a0 = (g[p1] - ratio[:, None] * g[p2]) / (1.0 - ratio)[:, None]
                d_a0[~np.isfinite(log_a0)] = 0.0
                m = r + s + x_ok
                b2[ok] = np.log(s) - np.log(m) + log_a0
                d_a0[:, 0] -= 1.0 / m
                d_a0[:, 2] += 1.0 / s - 1.0 / m
                db2[ok] = d_a0
            lse = np.logaddexp(b1, b2)
            pi2 = np.exp(b2 - lse)
            ll = (dot(n_x, gammaln(r + xv))
                  + n * (-gammaln(r) + r * np.log(alpha) + s * np.log(beta)) + dot(w, lse))
            mixed = np.einsum("i,ij->j", w, db1 + pi2[:, None] * (db2 - db1))
            grad = mixed + np.array([
                dot(n_x, digamma(r + xv)) - n * digamma(r) + n * np.log(alpha),
                n * r / alpha,
                n * np.log(beta),
                n * s / beta,
            ])
            return -float(ll), -grad * np.exp(z)

        return neg_ll

    def log_likelihood(self, frequency, recency, T):
        """Per-customer log-likelihood at the fitted parameters (FHL note eq. 22)."""
        params = self._fitted_params()
        r, alpha, s, beta = params
        (x, t_x, age), index = broadcast_inputs(frequency, recency, T)
        b1, b2 = _branches(params, x.ravel(), t_x.ravel(), age.ravel())
        ll = (gammaln(r + x.ravel()) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
              + np.logaddexp(b1, b2))
        return wrap(ll.reshape(x.shape), index, "log_likelihood")

    # -- predictions ---------------------------------------------------------------------------
    def probability_alive(self, frequency, recency, T):
        """P(alive at T | x, t_x, T) (FHL note eq. 18): the share of the likelihood from paths
        where the customer is still alive at T, exp(B1) / (exp(B1) + exp(B2))."""
        params = self._fitted_params()
        (x, t_x, age), index = broadcast_inputs(frequency, recency, T)
        b1, b2 = _branches(params, x.ravel(), t_x.ravel(), age.ravel())
        p = np.exp(b1 - np.logaddexp(b1, b2)).reshape(x.shape)
        return wrap(p, index, "probability_alive")

    def expected_purchases(self, t, frequency, recency, T):
        """Expected purchases in (T, T + t] given the history (FHL note eq. 25 / SMC 1987):

        E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        P(alive), with the limit (r+x)(beta+T)/(alpha+T) ln(1 + t/(beta+T)) at s = 1.
        """
        r, alpha, s, beta = self._fitted_params()
        (t, x, t_x, age), index = broadcast_inputs(t, frequency, recency, T)
        if (t < 0).any():
            raise ValueError("t must be >= 0")
        alive = np.asarray(self.probability_alive(x, t_x, age))
        out = (r + x) / (alpha + age) * (beta + age) * _survival_integral(s, t / (beta + age))
        return wrap(out * alive, index, "expected_purchases")

    def probability_no_purchase(self, t, frequency, recency, T):
        """P(no purchase in (T, T + t] | x, t_x, T) = L(x, t_x, T + t) / L(x, t_x, T).

        The event "x purchases by T, last at t_x, none in (T, T+t]" is exactly the history
        (x, t_x, T+t), so the ratio of the two likelihoods (FHL note eq. 22) is the probability;
        it equals (1 - P(alive)) + P(alive) * P(no purchase in t | alive).
        """
        params = self._fitted_params()
        (t, x, t_x, age), index = broadcast_inputs(t, frequency, recency, T)
        shape = x.shape
        x, t_x, age, t = x.ravel(), t_x.ravel(), age.ravel(), t.ravel()
        b1, b2 = _branches(params, x, t_x, age)
        c1, c2 = _branches(params, x, t_x, age + t)
        p = np.exp(np.logaddexp(c1, c2) - np.logaddexp(b1, b2))
        return wrap(np.minimum(p, 1.0).reshape(shape), index, "probability_no_purchase")

    def expected_purchases_new(self, t):
        """Unconditional E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (SMC 1987)."""
        r, alpha, s, beta = self._fitted_params()
        t_arr = np.asarray(t, dtype=float)
        return wrap(np.asarray(r * beta / alpha * _survival_integral(s, t_arr / beta)), None,
                    "expected_purchases_new")

    def purchase_count_distribution(self, t: float, n_max: int) -> np.ndarray:
        """P(X(t) = x), x = 0..n_max, for a new customer.

        Mixing the Poisson count over the gamma purchase rate gives a negative binomial
        NB(x; r, alpha/(alpha+u)) for a customer alive for time u; the lifetime tau has the Pareto
        (II) density s beta^s (beta+tau)^-(s+1), so

            P(X(t)=x) = NB(x; r, alpha/(alpha+t)) (beta/(beta+t))^s
                        + int_0^t NB(x; r, alpha/(alpha+tau)) s beta^s (beta+tau)^-(s+1) dtau,

        the expression of Fader & Hardie (2006) before its closed-form integration; the integral
        is computed by adaptive quadrature (relative error ~1e-11), avoiding the cancellation of
        the closed form for large x.
        """
        r, alpha, s, beta = self._fitted_params()
        x = np.arange(n_max + 1, dtype=float)
        const = gammaln(r + x) - gammaln(r) - gammaln(x + 1.0)

        def nb(u: float) -> np.ndarray:
            return np.exp(const + r * np.log(alpha / (alpha + u)) + xlogy(x, u / (alpha + u)))

        def integrand(u: float) -> np.ndarray:
            return nb(u) * s * np.exp(s * np.log(beta) - (s + 1.0) * np.log(beta + u))

        integral, _ = quad_vec(integrand, 0.0, float(t), epsabs=1e-14, epsrel=1e-11)
        return nb(float(t)) * (beta / (beta + t)) ** s + integral


def _survival_integral(s: float, u: np.ndarray) -> np.ndarray:
    """(1 - (1+u)^-(s-1)) / (s-1), and its limit ln(1+u) at s = 1 (stable for s near 1)."""
    lg = np.log1p(u)
    if abs(s - 1.0) < 1e-12:
        return lg
    return -np.expm1(-(s - 1.0) * lg) / (s - 1.0)
