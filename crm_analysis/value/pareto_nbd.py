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

Evaluation of 2F1(1, b; c; z): scipy's hyp2f1 for z <= 0.9, where it is accurate to ~1e-15;
above, where cephes fails (NaN, infinity, or errors up to 1e-1 near z = 1 for large b or
near-integer c - b - 1), a vectorised Gauss-Legendre quadrature of Euler's integral in
u = -ln(1 - t) on panels placed at the integrand's known features (:func:`_log_hyp2f1_quad`):
relative error ~1e-13 on ln 2F1 for 1 - z down to 1e-22 and any b, bounded time per row. 1 - z is
passed as (beta+y)/(alpha+y) (or (alpha+y)/(beta+y)), not as 1 - z, to keep its digits.

Gradient: analytic everywhere except the derivatives of ln 2F1(1, b; c; z) with respect to b and
c. Where scipy evaluates 2F1 those are central differences (relative step 1e-5; error ~1e-10) and
d/dz 2F1(1, b; c; z) = (b/c) 2F1(2, b+1; c+1; z) is exact; in the quadrature region all three
derivatives are exact weighted means over the same nodes. The hypergeometric function is
evaluated once per distinct (frequency, recency) and (frequency, T) pair, not per customer.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import quad_vec
from scipy.special import digamma, gammaln, hyp2f1, xlogy

from crm_analysis.value._base import TransactionModel
from crm_analysis.value._fitting import (
    CompressedRFM,
    Objective,
    broadcast_inputs,
    dot,
    prediction,
)

__all__ = ["ParetoNBD"]

_FD_STEP = 1e-5


_SCIPY_Z = 0.9
"""Up to this argument scipy's real hyp2f1 (cephes) is used. Above it cephes switches to a 1-z
transformation that returned NaN, infinity or wrong finite values (errors up to 1e-1 in ln 2F1)
for large b, near-integer c - a - b, or 1 - z below ~1e-6; there :func:`_log_hyp2f1_quad` is used.
Below it scipy agreed with a 30-digit mpmath reference to ~1e-13 (see docs/value_models.md)."""

_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)
_GL_NODES, _GL_WEIGHTS = 0.5 * (_GL_X + 1.0), 0.5 * _GL_W
"""12-point Gauss-Legendre rule on [0, 1]."""
_QUAD_CHUNK = 2048
_NEGLIGIBLE = 60.0
"""Panels whose integrand stays below exp(-_NEGLIGIBLE) of the largest value are skipped."""


def _quad_psi(a: int, b: np.ndarray, d: np.ndarray, eps: np.ndarray, log_eps_ratio: np.ndarray,
              u: np.ndarray, slope: bool = True
              ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Log-integrand psi(u) of :func:`_log_hyp2f1_quad`, its derivative (None unless ``slope``),
    and l(u) = ln(1 + eps expm1(u)), broadcast over rows x points (``log_eps_ratio`` is
    u_eps = ln((1-eps)/eps))."""
    v = u - log_eps_ratio
    below = v <= 0.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        ell = np.where(below, np.log1p(eps * np.expm1(np.minimum(u, log_eps_ratio))),
                       np.maximum(v, 0.0) + np.log1p(-eps) + np.log1p(np.exp(-np.abs(v))))
        psi = -(d - a) * u - b * ell
        if a == 2:
            psi = psi + np.log(-np.expm1(-u))
        if not slope:
            return psi, None, ell
        sigma = 0.5 * (1.0 + np.tanh(0.5 * v))  # expit(u - u_eps), the slope of l
        dpsi = -(d - a) - b * sigma
        if a == 2:
            dpsi = dpsi + 1.0 / np.expm1(u)
    return psi, dpsi, ell


def _panels(a: int, b: np.ndarray, d: np.ndarray, eps: np.ndarray, u_eps: np.ndarray) -> np.ndarray:
    """Per-row panel boundaries (rows x M, padded by repeating the last one) in u.

    Geometric panels h0, 2 h0, ... below u = 1 resolve a boundary layer of rate k0 = -psi'(0)
    (h0 = 1/k0); unit panels cover [1, u_f] where the cut-off exp(-b eps e^u) and the kinks of psi
    lie (u_f = u_eps + ln max(b, 1) + 4); beyond u_f the integrand is ~exp(-(c-1) u), smooth on
    scales >= 1, covered by panels growing by 1.5 out to where it is exp(-70) smaller.
    """
    c1 = b + d - a  # tail rate c - a
    k0 = np.maximum(d - a, 0.0) + b * eps
    n_geo = np.clip(np.ceil(np.log2(np.maximum(k0, 1.0))), 0, 80).astype(np.int64)
    u_f = np.ceil(np.maximum(u_eps, 0.0) + np.log(np.maximum(b, 1.0)) + 4.0)
    n_uni = u_f.astype(np.int64)  # boundaries 1, 2, ..., u_f
    span = 70.0 / np.minimum(c1, 1.0) + np.log(np.maximum(b / np.minimum(c1, 1.0), 1.0))
    n_tail = np.clip(np.ceil(np.log1p(span / 2.0) / np.log(1.5)), 1, 200).astype(np.int64)
    m = int((n_geo + n_uni + n_tail).max()) + 1
    j = np.arange(m)[None, :]
    ng, nu = n_geo[:, None], n_uni[:, None]
    h0 = 2.0 ** -ng  # first panel width (<= 1/k0)
    geo = h0 * 2.0 ** (j - 1.0)
    uni = (j - ng).astype(float)
    k = np.minimum(j - ng - nu, n_tail[:, None])
    tail = u_f[:, None] + 2.0 * (1.5 ** k - 1.0)
    out = np.where(j <= ng, geo, np.where(j <= ng + nu, uni, tail))
    out[:, 0] = 0.0
    return out


def _log_hyp2f1_quad(a: int, b: np.ndarray, c: np.ndarray, eps: np.ndarray,
                     moments: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """ln 2F1(a, b; c; 1 - eps) for a in {1, 2}, b > 0, c > a, 0 < eps < 1, by quadrature.

    Euler's integral with s = 1 - t = exp(-u) gives, with d = c - b,

        2F1(a, b; c; z) = G(c) / (G(a) G(c-a)) * int_0^inf exp(psi(u)) du,
        psi(u) = -(d - a) u - b ln(1 + eps expm1(u)) + (a - 1) ln(1 - exp(-u)),

    a log-concave integrand without endpoint singularities whose features (a boundary layer at
    u = 0 of width 1/(d - a + b eps), the cut-off where b eps e^u ~ 1, the kink at
    u_eps = ln((1-eps)/eps), a slowly decaying tail exp(-(c-1) u)) all sit at known places. It is
    integrated by 12-point Gauss-Legendre on per-row panels (:func:`_panels`) that resolve them,
    skipping panels where the integrand is negligible (a tangent bound, valid by concavity), all
    rows and nodes at once: bounded time (at most a few hundred nodes per row) for any eps, b, c.
    ``eps`` is 1 - z, passed separately so that it keeps its relative accuracy near z = 1.

    Parameters
    ----------
    a : {1, 2}
    b, c, eps : ndarray
        Same shape, 1-d.
    moments : bool
        Also return the derivatives of ln 2F1 (a = 1 only) with respect to b, c and z, as weighted
        means of u - l(u), -u and b expm1(u) / (1 + eps expm1(u)) under the integrand.

    Returns
    -------
    (log_f, grad) : ndarray, ndarray of shape (n, 3) or None
        NaN where the quadrature cannot certify its tail (not expected for finite inputs).
    """
    b, c, eps = (np.asarray(v, dtype=float) for v in (b, c, eps))
    n = len(b)
    log_f = np.empty(n)
    grad = np.empty((n, 3)) if moments else None
    for lo in range(0, n, _QUAD_CHUNK):
        sl = slice(lo, min(n, lo + _QUAD_CHUNK))
        out = _quad_chunk(a, b[sl], c[sl], eps[sl], moments)
        log_f[sl] = out[0]
        if moments:
            grad[sl] = out[1]
    return log_f, grad


def _quad_chunk(a: int, b: np.ndarray, c: np.ndarray, eps: np.ndarray, moments: bool
                ) -> tuple[np.ndarray, np.ndarray | None]:
    d = c - b
    u_eps = np.log1p(-eps) - np.log(eps)
    bounds = _panels(a, b, d, eps, u_eps)
    col = (b[:, None], d[:, None], eps[:, None], u_eps[:, None])
    psi, dpsi, _ = _quad_psi(a, *col, bounds)
    if a == 2:
        psi[:, 0], dpsi[:, 0] = -np.inf, np.inf
    ref = np.max(psi, axis=1)
    p, q = bounds[:, :-1], bounds[:, 1:]
    fp, fq, gp, gq = psi[:, :-1], psi[:, 1:], dpsi[:, :-1], dpsi[:, 1:]
    with np.errstate(invalid="ignore"):
        # max of a concave psi on [p, q]: an endpoint if monotone there, else below both tangents
        peak = np.where(gp <= 0, fp, np.where(gq >= 0, fq,
                                              np.minimum(fp + gp * (q - p), fq - gq * (q - p))))
    keep = (q > p) & ((peak >= ref[:, None] - _NEGLIGIBLE) | (np.arange(p.shape[1]) == 0))
    row, pan = np.nonzero(keep)
    lo_, width = p[row, pan], (q - p)[row, pan]
    u = lo_[:, None] + width[:, None] * _GL_NODES[None, :]
    rb, rd, re_, rue = (v[row][:, None] for v in (b, d, eps, u_eps))
    psi_n, _, ell = _quad_psi(a, rb, rd, re_, rue, u, slope=False)
    w = width[:, None] * _GL_WEIGHTS[None, :] * np.exp(psi_n - ref[row][:, None])
    total = np.bincount(row, weights=w.sum(axis=1), minlength=len(b))
    # tail beyond the last boundary: exp(psi) <= exp(psi_B + psi'_B (u - B)) by concavity
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = np.exp(psi[:, -1] - ref) / -dpsi[:, -1]
        ok = (dpsi[:, -1] < 0) & (tail <= 1e-16 * total) & (total > 0)
        # G(c) / (G(a) G(c-a)) = c-1 (a = 1) or (c-1)(c-2) (a = 2), without gammaln cancellation
        log_f = np.log(c - 1.0) + (np.log(c - 2.0) if a == 2 else 0.0) + ref + np.log(total)
    log_f = np.where(ok, log_f, np.nan)
    if not moments:
        return log_f, None
    with np.errstate(over="ignore", invalid="ignore"):
        x = re_ * np.expm1(np.minimum(u, rue))
        # b expm1(u) / (1 + eps expm1(u)), written for u > u_eps without overflow
        sig = 0.5 * (1.0 + np.tanh(0.5 * (u - rue)))
        g_z = rb * np.where(u <= rue, x / (1.0 + x), sig - re_ * (1.0 - sig) / (1.0 - re_)) / re_
    sums = np.stack([np.bincount(row, weights=(w * m).sum(axis=1), minlength=len(b))
                     for m in (u - ell, u, g_z)], axis=1) / total[:, None]
    grad = np.stack([sums[:, 0], 1.0 / (c - 1.0) - sums[:, 1], sums[:, 2]], axis=1)
    return log_f, grad


def _log_hyp2f1(b: np.ndarray, c: np.ndarray, z: np.ndarray, eps: np.ndarray, grad: bool = False
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """ln 2F1(1, b; c; z) for 0 < b < c, 0 <= z < 1, ``eps`` = 1 - z computed without
    cancellation, and optionally its derivatives with respect to b, c and z (shape (n, 3)).

    scipy's hyp2f1 for z <= _SCIPY_Z (derivatives: central differences in b and c with relative
    step _FD_STEP, exact d/dz = (b/c) 2F1(2, b+1; c+1; z)), :func:`_log_hyp2f1_quad` above.
    """
    n = len(b)
    out = np.empty(n)
    g = np.empty((n, 3)) if grad else None
    easy = z <= _SCIPY_Z
    if easy.any():
        be, ce, ze = b[easy], c[easy], z[easy]
        if not grad:
            out[easy] = np.log(hyp2f1(1.0, be, ce, ze))
        else:
            m = len(be)
            hb, hc = _FD_STEP * np.maximum(1.0, be), _FD_STEP * ce
            f1 = hyp2f1(1.0, np.concatenate([be, be + hb, be - hb, be, be]),
                        np.concatenate([ce, ce, ce, ce + hc, ce - hc]), np.tile(ze, 5))
            vals = np.log(np.concatenate([f1, hyp2f1(2.0, be + 1.0, ce + 1.0, ze)])).reshape(6, m)
            out[easy] = vals[0]
            g[easy, 0] = (vals[1] - vals[2]) / (2.0 * hb)
            g[easy, 1] = (vals[3] - vals[4]) / (2.0 * hc)
            g[easy, 2] = (be / ce) * np.exp(vals[5] - vals[0])
    hard = ~easy
    if hard.any():
        lf, gh = _log_hyp2f1_quad(1, b[hard], c[hard], eps[hard], moments=grad)
        out[hard] = lf
        if grad:
            g[hard] = gh
    return out, g


def _hyp2f1_pos(a: float, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """2F1(a, b; c; z) for 0 <= z < 1, 0 < b, c > a, a in {1, 2}: scipy up to _SCIPY_Z, else
    :func:`_log_hyp2f1_quad` (with 1 - z computed from ``z``; :func:`_log_hyp2f1` takes it
    exactly)."""
    b, c, z = (np.atleast_1d(np.asarray(v, dtype=float)) for v in np.broadcast_arrays(b, c, z))
    out = hyp2f1(a, b, c, z)
    hard = z > _SCIPY_Z
    if hard.any():
        out[hard] = np.exp(_log_hyp2f1_quad(int(a), b[hard], c[hard], 1.0 - z[hard])[0])
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
        z, eps = (alpha - beta) / (alpha + y), (beta + y) / (alpha + y)
        base = -(r + x) * log_ay - s * log_by
    else:
        b = np.full_like(x, s + 1.0)
        z, eps = (beta - alpha) / (beta + y), (alpha + y) / (beta + y)
        base = -(r + x - 1.0) * log_ay - (s + 1.0) * log_by
    log_f, dlog = _log_hyp2f1(b, c, z, eps, grad=grad)
    if not grad:
        return base + log_f, None
    n = len(x)
    d_b, d_c, d_z = dlog[:, 0], dlog[:, 1], dlog[:, 2]
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
    penalizer_coef, n_starts, random_state, tol, on_failure
        See :class:`~crm_analysis.value._base.MaximumLikelihoodModel`.

    Attributes
    ----------
    params_ : dict
        ``r``, ``alpha`` (gamma purchase-rate heterogeneity; alpha in the time unit) and ``s``,
        ``beta`` (gamma dropout-rate heterogeneity; beta in the time unit).
    log_likelihood_, standard_errors_, confidence_intervals_, n_customers_, converged_, notes_
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

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Per-customer log-likelihood at the fitted parameters (FHL note eq. 22)."""
        params = self._fitted_params()
        r, alpha, s, beta = params
        x, t_x, age = broadcast_inputs(frequency, recency, T)
        b1, b2 = _branches(params, x.ravel(), t_x.ravel(), age.ravel())
        ll = (gammaln(r + x.ravel()) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
              + np.logaddexp(b1, b2))
        return prediction(ll.reshape(x.shape))

    # -- predictions ---------------------------------------------------------------------------
    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(alive at T | x, t_x, T) (FHL note eq. 18): the share of the likelihood from paths
        where the customer is still alive at T, exp(B1) / (exp(B1) + exp(B2))."""
        params = self._fitted_params()
        x, t_x, age = broadcast_inputs(frequency, recency, T)
        b1, b2 = _branches(params, x.ravel(), t_x.ravel(), age.ravel())
        p = np.exp(b1 - np.logaddexp(b1, b2)).reshape(x.shape)
        return prediction(p)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected purchases in (T, T + t] given the history (FHL note eq. 25 / SMC 1987):

        E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
        P(alive), with the limit (r+x)(beta+T)/(alpha+T) ln(1 + t/(beta+T)) at s = 1.
        """
        r, alpha, s, beta = self._fitted_params()
        t, x, t_x, age = broadcast_inputs(t, frequency, recency, T)
        if (t < 0).any():
            raise ValueError("t must be >= 0")
        alive = self.probability_alive(x, t_x, age)
        out = (r + x) / (alpha + age) * (beta + age) * _survival_integral(s, t / (beta + age))
        return prediction(out * alive)

    def probability_no_purchase(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(no purchase in (T, T + t] | x, t_x, T) = L(x, t_x, T + t) / L(x, t_x, T).

        The event "x purchases by T, last at t_x, none in (T, T+t]" is exactly the history
        (x, t_x, T+t), so the ratio of the two likelihoods (FHL note eq. 22) is the probability;
        it equals (1 - P(alive)) + P(alive) * P(no purchase in t | alive).
        """
        params = self._fitted_params()
        t, x, t_x, age = broadcast_inputs(t, frequency, recency, T)
        shape = x.shape
        x, t_x, age, t = x.ravel(), t_x.ravel(), age.ravel(), t.ravel()
        b1, b2 = _branches(params, x, t_x, age)
        c1, c2 = _branches(params, x, t_x, age + t)
        p = np.exp(np.logaddexp(c1, c2) - np.logaddexp(b1, b2))
        return prediction(np.minimum(p, 1.0).reshape(shape))

    def expected_purchases_new(self, t: ArrayLike) -> np.ndarray:
        """Unconditional E[X(t)] = r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (SMC 1987)."""
        r, alpha, s, beta = self._fitted_params()
        t_arr = np.asarray(t, dtype=float)
        return prediction(r * beta / alpha * _survival_integral(s, t_arr / beta))

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
