"""Shared maximum-likelihood machinery for the buy-till-you-die models.

What lives here, once for every model:

- input validation at the edge (:func:`validate_rfm`), with messages that name the problem;
- compression of a customer summary to its unique ``(frequency, recency, T)`` rows with counts
  (:class:`CompressedRFM`): the likelihood is evaluated once per distinct history and weighted,
  which is what makes fitting a million customers fast;
- multi-start optimisation in log-parameter space with analytic gradients, a Newton polish,
  convergence checks and a clear :class:`ConvergenceError` or scikit-learn ``ConvergenceWarning``
  (:func:`fit_mle`, see :data:`ON_FAILURE`);
- standard errors from the inverse Hessian of the negative log-likelihood (numerical Hessian of
  the analytic gradient in log space, mapped to natural parameters by the delta method).

Objective convention (as in lifetimes, so penalised fits are comparable): the optimiser minimises

    -(sum_i w_i * LL_i) / (sum_i w_i) + penalizer_coef * sum_k theta_k ** 2,

where ``theta`` are the natural (positive) parameters. ``log_likelihood_`` reported by the models
is the total, unpenalised ``sum_i w_i * LL_i``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning

logger = logging.getLogger(__name__)

Z95 = 1.959963984540054
"""Standard normal 97.5% quantile (two-sided 95% intervals)."""

LOG_BOUND = 25.0
"""Bound on each log-parameter during optimisation (exp(25) ~ 7e10): keeps exp() finite; a
parameter that ends on this bound is not identified by the data (e.g. BG/NBD's ``a`` -> 0: no
dropout to speak of); the fit reports it in its notes."""


NEWTON_DECREMENT = 1e-12
"""Largest objective decrease per customer (mean negative log-likelihood) a Newton step could
still make at an accepted optimum, when the gradient is above ``tol`` (flat likelihoods)."""


ON_FAILURE: tuple[str, ...] = ("raise", "warn")
"""What ``fit`` does when the optimum fails the convergence checks (``on_failure`` setting):
``"raise"`` (default) raises :class:`ConvergenceError` and leaves the model unfitted; ``"warn"``
keeps the best point found, warns with scikit-learn's ``ConvergenceWarning`` and sets
``converged_ = False`` (its standard errors are NaN when the Hessian is not positive definite)."""


class ConvergenceError(ValueError, RuntimeError):
    """The maximum-likelihood fit did not converge; the message says what failed and what to try.

    A ``ValueError`` (scikit-learn's convention for data an estimator cannot fit), and still a
    ``RuntimeError`` as it was before issue 19, so either ``except`` catches it. The message
    includes the optimiser's own (scipy's) message. ``problems`` lists the reasons in words,
    without the advice (for a report page).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


_ADVICE = (
    "Things to try: rescale time (e.g. time_scaler=7 for weeks) so that recency and T are of "
    "order 1-100; add a small penalizer_coef (e.g. 0.001); raise n_starts; check the summary for "
    "customers with T=0 (first purchase on the observation end) or implausible frequencies."
)


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
def as_float_array(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array, rejecting NaN and infinity."""
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) (first at position "
            f"{int(np.flatnonzero(bad)[0])}); drop or fill them before fitting"
        )
    return arr


def columns_or_arrays(
    summary: pd.DataFrame | None, names: Sequence[str], given: dict[str, object]
) -> list[np.ndarray]:
    """Pick ``names`` from a summary DataFrame, or from keyword arrays when no summary is given."""
    if summary is not None:
        if not isinstance(summary, pd.DataFrame):
            raise TypeError(f"summary must be a pandas DataFrame, got {type(summary).__name__}")
        extra = [k for k, v in given.items() if v is not None]
        if extra:
            raise TypeError(f"give either a summary DataFrame or arrays, not both ({extra})")
        missing = [n for n in names if n not in summary.columns]
        if missing:
            raise ValueError(
                f"summary is missing column(s) {missing}; expected {list(names)} "
                "(see crm_analysis.features.rfm_summary)"
            )
        return [as_float_array(n, summary[n].to_numpy()) for n in names]
    missing = [n for n in names if given.get(n) is None]
    if missing:
        raise TypeError(f"missing input(s) {missing}: pass a summary DataFrame or all of {names}")
    arrays = [as_float_array(n, given[n]) for n in names]
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"inputs {list(names)} have different lengths {[len(a) for a in arrays]}")
    return arrays


def validate_rfm(
    frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, *, rtol: float = 1e-9
) -> None:
    """Check a (frequency, recency, T) summary; raise ``ValueError`` naming the first problem.

    Rules: all values finite and non-negative, frequency whole numbers, recency <= T (with a
    relative tolerance for rounding), and recency == 0 where frequency == 0.
    """
    n = len(frequency)
    if n == 0:
        raise ValueError("the summary is empty: no customers to fit")

    def first(mask: np.ndarray) -> str:
        i = int(np.flatnonzero(mask)[0])
        return (f"{int(mask.sum())} row(s), first at position {i} (frequency={frequency[i]:g}, "
                f"recency={recency[i]:g}, T={T[i]:g})")

    for name, arr in (("frequency", frequency), ("recency", recency), ("T", T)):
        if (arr < 0).any():
            raise ValueError(f"{name} must be >= 0: {first(arr < 0)}")
    if (frequency != np.round(frequency)).any():
        fractional = frequency != np.round(frequency)
        raise ValueError(f"frequency must be whole numbers: {first(fractional)}")
    too_late = recency > T * (1 + rtol) + rtol
    if too_late.any():
        raise ValueError(f"recency must be <= T (time of last purchase <= age): {first(too_late)}")
    inconsistent = (frequency == 0) & (recency != 0)
    if inconsistent.any():
        raise ValueError(
            "recency must be 0 for customers with frequency 0 (no repeat purchase): "
            f"{first(inconsistent)}"
        )


# ----------------------------------------------------------------------------------------------
# Compression to unique histories
# ----------------------------------------------------------------------------------------------
def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (in order of appearance) and each element's index into them."""
    codes, uniq = pd.factorize(values, sort=False)
    return np.asarray(uniq, dtype=np.float64), codes.astype(np.int64, copy=False)


@dataclass(frozen=True)
class CompressedRFM:
    """Unique ``(frequency, recency, T)`` rows with their counts, plus small lookup tables.

    ``x``, ``t_x``, ``T`` and ``weight`` have one entry per distinct history. The ``*_values``
    arrays are the distinct values of each column and ``ix``/``it``/``iT`` index into them, so that
    a model can evaluate expensive functions of one column only once per distinct value.
    """

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    x_values: np.ndarray
    t_values: np.ndarray
    T_values: np.ndarray
    ix: np.ndarray
    it: np.ndarray
    iT: np.ndarray
    n_customers: float = field(default=0.0)

    @classmethod
    def from_arrays(
        cls,
        frequency: np.ndarray,
        recency: np.ndarray,
        T: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> CompressedRFM:
        """Group identical histories; ``weights`` (counts per input row) default to 1."""
        x_values, cx = _codes(frequency)
        t_values, ct = _codes(recency)
        T_values, cT = _codes(T)
        nt, nT = len(t_values), len(T_values)
        key = (cx.astype(np.int64) * nt + ct) * nT + cT
        if weights is None:
            skey = np.sort(key)
            starts = np.flatnonzero(np.concatenate(([True], skey[1:] != skey[:-1])))
            ukey = skey[starts]
            weight = np.diff(np.append(starts, len(skey))).astype(np.float64)
        else:
            w = as_float_array("weights", weights)
            if (w < 0).any():
                raise ValueError("weights must be >= 0")
            order = np.argsort(key, kind="stable")
            skey = key[order]
            starts = np.flatnonzero(np.concatenate(([True], skey[1:] != skey[:-1])))
            ukey = skey[starts]
            weight = np.add.reduceat(w[order], starts)
        ix = (ukey // (nt * nT)).astype(np.intp)
        it = ((ukey // nT) % nt).astype(np.intp)
        iT = (ukey % nT).astype(np.intp)
        return cls(
            x=x_values[ix], t_x=t_values[it], T=T_values[iT], weight=weight,
            x_values=x_values, t_values=t_values, T_values=T_values, ix=ix, it=it, iT=iT,
            n_customers=float(weight.sum()),
        )


# ----------------------------------------------------------------------------------------------
# Optimisation
# ----------------------------------------------------------------------------------------------
Objective = Callable[..., tuple]
"""``(z, hessian=False) -> (f, g)`` or ``(f, g, H)``: negative total log-likelihood at natural
parameters ``exp(z)``, its gradient and (when asked and supported) Hessian w.r.t. ``z``."""


@dataclass(frozen=True)
class MLEResult:
    """Outcome of :func:`fit_mle` (natural parameters, totals, uncertainty, diagnostics)."""

    params: dict[str, float]
    log_likelihood: float
    standard_errors: dict[str, float]
    confidence_intervals: pd.DataFrame
    converged: bool
    """Whether the optimum passed the convergence checks (zero gradient or negligible Newton
    decrement, positive definite Hessian in the free parameters, not every parameter on its
    bound); False only with ``on_failure="warn"``."""
    n_starts_run: int
    gradient_norm: float
    covariance_log: np.ndarray
    notes: tuple[str, ...] = ()
    """What a reader of the fit should know: starts that ended elsewhere, parameters that ran to
    their bound (the fit is still a verified maximum in the other parameters)."""


def numerical_hessian(
    grad: Callable[[np.ndarray], np.ndarray], z: np.ndarray, h: float
) -> np.ndarray:
    """Symmetrised central-difference Jacobian of ``grad`` at ``z`` (step ``h`` per coordinate)."""
    k = len(z)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = h
        hess[:, j] = (grad(z + e) - grad(z - e)) / (2 * h)
    return 0.5 * (hess + hess.T)


def log_space_derivatives(
    theta: np.ndarray, grad: np.ndarray, hess: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Chain rule from natural parameters theta to z = log(theta).

    df/dz_i = theta_i df/dtheta_i;  d2f/dz_i dz_j = theta_i theta_j H_ij + [i = j] theta_i g_i.
    """
    g_z = theta * grad
    if hess is None:
        return g_z, None
    return g_z, np.outer(theta, theta) * hess + np.diag(g_z)


def fit_mle(
    neg_ll: Objective,
    names: Sequence[str],
    start: np.ndarray,
    *,
    n_customers: float,
    penalizer_coef: float,
    n_starts: int,
    random_state: int | None,
    tol: float,
    model: str,
    analytic_hessian: bool = False,
    hessian_step: float = 1e-5,
    start_scale: float = 0.5,
    maxiter: int = 3000,
    on_failure: str = "raise",
) -> MLEResult:
    """Maximise a log-likelihood from several starts in log-parameter space.

    Parameters
    ----------
    neg_ll : callable
        See :data:`Objective`.
    names : sequence of str
        Parameter names, in the order of ``z``.
    start : ndarray
        First starting point (log parameters); further starts add N(0, ``start_scale``^2) noise
        drawn from ``numpy.random.default_rng(random_state)``.
    n_customers : float
        Total weight, used to scale the objective to a per-customer mean.
    penalizer_coef : float
        L2 penalty on the natural parameters (see module docstring).
    n_starts : int
        Maximum number of starts. Starts run in order; the search stops as soon as two starts agree
        on the optimum (objective within ``1e-8`` per customer). With ``n_starts == 1`` the
        agreement check is skipped.
    random_state : int or None
        Seed for the extra starts (deterministic for an int).
    tol : float
        Largest accepted max-abs gradient of the per-customer objective (log space) at the optimum.
    model : str
        Model name for messages.
    analytic_hessian : bool
        ``neg_ll`` can return the Hessian: the optimiser is then scipy's ``trust-exact`` (a few
        exact Newton steps); otherwise L-BFGS-B, and the Hessian for the standard errors is a
        central difference of the analytic gradient with step ``hessian_step``.
    on_failure : {"raise", "warn"}, default "raise"
        When the best start fails the convergence checks: raise :class:`ConvergenceError`, or
        warn with scikit-learn's ``ConvergenceWarning`` and return it with ``converged=False``
        (see :data:`ON_FAILURE`). A fit with no finite likelihood at any start always raises.

    Returns
    -------
    MLEResult
        The best start, polished, when it is a verified maximum: gradient below ``tol`` and a
        positive definite Hessian in the parameters that did not run to their bound. Starts that
        ended elsewhere and parameters on their bound are ``notes``; a parameter on its bound has
        no standard error (NaN).

    Raises
    ------
    ConvergenceError
        No start gave a finite likelihood, the gradient at the best start is not zero, its
        Hessian is not positive definite, or every parameter ran to its bound. The message lists
        every reason and scipy's message. With ``on_failure="warn"`` only when no start gave a
        finite likelihood.
    """
    if on_failure not in ON_FAILURE:
        raise ValueError(f"on_failure must be one of {ON_FAILURE}, got {on_failure!r}")
    names = list(names)
    k = len(names)
    scale = 1.0 / n_customers
    cache: dict[bytes, tuple] = {}

    def evaluate(z: np.ndarray) -> tuple[float, np.ndarray, np.ndarray | None]:
        key = np.asarray(z, dtype=float).tobytes()
        if key not in cache:
            if len(cache) > 8:
                cache.clear()
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                theta = np.exp(z)
                out = neg_ll(z, hessian=True) if analytic_hessian else (*neg_ll(z), None)
                f = out[0] * scale + penalizer_coef * float(np.sum(theta * theta))
                g = out[1] * scale + 2.0 * penalizer_coef * theta * theta
                h = None
                if out[2] is not None:
                    h = out[2] * scale + np.diag(4.0 * penalizer_coef * theta * theta)
            if not np.isfinite(f) or not np.all(np.isfinite(g)) or (
                h is not None and not np.all(np.isfinite(h))
            ):
                f, g, h = np.inf, np.zeros(k), np.eye(k)
            cache[key] = (float(f), g, h)
        return cache[key]

    def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
        f, g, _ = evaluate(z)
        return f, g

    def hess_of(z: np.ndarray) -> np.ndarray:
        h = evaluate(z)[2]
        if h is None:
            h = numerical_hessian(lambda u: evaluate(u)[1], z, hessian_step)
        return h

    rng = np.random.default_rng(random_state)
    bounds = [(-LOG_BOUND, LOG_BOUND)] * k
    runs: list[tuple[float, np.ndarray, bool, str]] = []
    agree_tol = 1e-8
    for i in range(max(1, n_starts)):
        z0 = np.asarray(start, dtype=float) if i == 0 else start + rng.normal(0, start_scale, k)
        if not np.isfinite(objective(z0)[0]):
            runs.append((np.inf, z0, False, "log-likelihood not finite at the start"))
            continue
        res = None
        if analytic_hessian:
            try:
                res = optimize.minimize(
                    objective, z0, jac=True, hess=hess_of, method="trust-exact",
                    options={"maxiter": maxiter, "gtol": 1e-10},
                )
                z_end = np.clip(res.x, -LOG_BOUND, LOG_BOUND)
            except (UnboundLocalError, np.linalg.LinAlgError, ValueError):
                # scipy's trust-exact subproblem can fail outright on a nearly singular
                # Hessian (seen on data of 95% one-time buyers): this start goes to L-BFGS-B
                res = None
        if res is None:
            res = optimize.minimize(
                objective, z0, jac=True, method="L-BFGS-B", bounds=bounds,
                options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
            )
            z_end = np.asarray(res.x)
        runs.append((objective(z_end)[0], z_end, bool(res.success), str(res.message)))
        finite = sorted((r for r in runs if np.isfinite(r[0])), key=lambda r: r[0])
        if n_starts > 1 and len(finite) >= 2 and finite[1][0] - finite[0][0] <= agree_tol:
            break

    finite = sorted((r for r in runs if np.isfinite(r[0])), key=lambda r: r[0])
    if not finite:
        problem = f"the log-likelihood was not finite at any of {len(runs)} start(s)"
        raise ConvergenceError(f"{model}: {problem}. " + _ADVICE, [problem])
    best_f, z, _success, message = finite[0]

    # Newton polish: removes the last digits of optimiser slack (results then agree with other
    # implementations to 4+ significant digits). The Hessian of the starting point is reused.
    hess = hess_of(z)
    for _ in range(3):
        g = objective(z)[1]
        if np.max(np.abs(g)) < 1e-13:
            break
        try:
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        z_new = np.clip(z - step, -LOG_BOUND, LOG_BOUND)
        f_new = objective(z_new)[0]
        if not (np.isfinite(f_new) and f_new <= best_f + 1e-15):
            break
        z, best_f = z_new, f_new
    if analytic_hessian:
        hess = hess_of(z)

    if not _converged(objective(z)[1], hess, np.abs(z) >= LOG_BOUND - 1e-6, tol):
        # A likelihood that keeps rising towards a parameter's bound (BG/NBD's a -> 0: no
        # dropout to speak of) stalls the optimiser; fix that parameter at its bound and fit the
        # others. Kept only when it is at least as good: the optimum is on the boundary.
        gradient = objective(z)[1]
        movable = np.abs(z) < LOG_BOUND - 1e-6
        if movable.any():
            i = int(np.argmax(np.where(movable, np.abs(gradient), -1.0)))
            edge = -LOG_BOUND if gradient[i] > 0 else LOG_BOUND
            bounds_i = list(bounds)
            bounds_i[i] = (edge, edge)
            z0 = z.copy()
            z0[i] = edge
            res = optimize.minimize(
                objective, z0, jac=True, method="L-BFGS-B", bounds=bounds_i,
                options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20})
            f_edge = objective(res.x)[0]
            if np.isfinite(f_edge) and f_edge <= best_f + 1e-9:
                z, best_f, message = np.asarray(res.x), f_edge, str(res.message)
                hess = hess_of(z)

    gradient = objective(z)[1]
    at_bound = np.abs(z) >= LOG_BOUND - 1e-6
    free = ~at_bound
    gnorm = float(np.max(np.abs(gradient[free]))) if free.any() else 0.0
    sub = hess[np.ix_(free, free)]
    eig = np.linalg.eigvalsh(sub) if free.any() else np.array([])
    positive = bool(free.any() and np.all(eig > 0))
    # The Newton decrement g' H^-1 g / 2 is how much lower the objective could still go: below
    # NEWTON_DECREMENT (per customer) a gradient above ``tol`` is rounding, not a missed optimum.
    decrement = (float(gradient[free] @ np.linalg.solve(sub, gradient[free])) / 2
                 if positive else np.inf)
    problems = []
    if not free.any():
        problems.append("every parameter ran to the bound exp(+-25): the data identify none")
    if gnorm > tol and not decrement < NEWTON_DECREMENT:
        problems.append(f"gradient max-norm {gnorm:.2e} > tol {tol:.1e} ({message})")
    if free.any() and not positive:
        problems.append("the Hessian at the optimum is not positive definite (flat likelihood)")
    notes: list[str] = []
    if problems:
        failure = f"{model} did not converge: " + "; ".join(problems) + "."
        if on_failure == "raise":
            raise ConvergenceError(failure + " " + _ADVICE, problems)
        warnings.warn(failure + " " + _ADVICE, ConvergenceWarning, stacklevel=3)
        notes.append(failure + " Its parameters are the best point found, not a verified "
                     "maximum; its standard errors are not reliable.")

    # When converged, the best start is a verified maximum (zero gradient, positive definite
    # Hessian in the free parameters). What the other starts did, and parameters on their bound,
    # are notes.
    if at_bound.any():
        bound = [f"{n} -> {'0' if z[i] < 0 else 'infinity'}"
                 for i, n in enumerate(names) if at_bound[i]]
        notes.append(f"{model}: {', '.join(bound)} (the data do not bound "
                     f"{'it' if len(bound) == 1 else 'them'}; the other parameters are fitted "
                     "with it held there, and it has no standard error)")
    if n_starts > 1:
        agreeing = sum(1 for f, *_ in finite if f - best_f <= agree_tol)
        if agreeing < 2:
            higher = [f - best_f for f, *_ in finite[1:4]]
            others = ", ".join(f"{d:.3f}" if d >= 5e-4 else "under 0.001" for d in higher)
            notes.append(
                f"{model}: the {len(runs)} starts ended at different points (best mean negative "
                f"log-likelihood {best_f:.3f} per customer; others higher by "
                f"{others or 'an infinite amount'}); the best one is used"
                + ("" if problems else ": its gradient is zero and its Hessian positive "
                   "definite, so it is a maximum, and the likelihood is flat around it"))

    # Covariance of the free log-parameters from the total (not mean) negative log-likelihood.
    cov_log = np.full((k, k), np.nan)
    if positive:  # always so when converged; otherwise there is no covariance to report
        cov_log[np.ix_(free, free)] = np.linalg.inv(sub / scale)
    theta = np.exp(z)
    se_log = np.sqrt(np.diag(cov_log))
    se = theta * se_log  # delta method: d theta / d z = theta
    with np.errstate(over="ignore"):  # an unbounded interval is infinite, not an error
        ci = pd.DataFrame(
            {
                "estimate": theta,
                "standard_error": se,
                "lower": np.exp(z - Z95 * se_log),
                "upper": np.exp(z + Z95 * se_log),
            },
            index=pd.Index(names, name="parameter"),
        )
    return MLEResult(
        params={n: float(v) for n, v in zip(names, theta, strict=True)},
        log_likelihood=float(-neg_ll(z)[0]),
        standard_errors={n: float(v) for n, v in zip(names, se, strict=True)},
        confidence_intervals=ci,
        converged=not problems,
        n_starts_run=len(runs),
        gradient_norm=gnorm,
        covariance_log=cov_log,
        notes=tuple(notes),
    )


def _converged(gradient: np.ndarray, hess: np.ndarray, at_bound: np.ndarray, tol: float) -> bool:
    """Zero gradient (or a negligible Newton decrement) and a positive definite Hessian in the
    parameters that are not on their bound."""
    free = ~at_bound
    if not free.any():
        return False
    sub = hess[np.ix_(free, free)]
    if not np.all(np.linalg.eigvalsh(sub) > 0):
        return False
    g = gradient[free]
    return bool(np.max(np.abs(g)) <= tol or float(g @ np.linalg.solve(sub, g)) / 2
                < NEWTON_DECREMENT)


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """Inner product of two 1-d arrays without BLAS.

    ``np.einsum`` runs numpy's own loop; on a busy machine a threaded BLAS ``ddot`` (what ``@``
    calls) was measured 8-15x slower for vectors of ~10^5 elements.
    """
    return float(np.einsum("i,i->", u, v))


# ----------------------------------------------------------------------------------------------
# Prediction helpers
# ----------------------------------------------------------------------------------------------
PREDICTION_RULE = (
    "Every prediction method returns a numpy float64 array with the broadcast shape of its "
    "inputs: one value per customer for array-like inputs (lists, arrays, Series or DataFrame "
    "columns, whose index is not kept), a 0-d array for scalars (float(...) gives the number)."
)
"""The one rule for the return type of the value models' predictions (issue 19)."""


def broadcast_inputs(*values: object) -> list[np.ndarray]:
    """Broadcast prediction inputs (scalars, lists, arrays, Series) to float64 arrays of one
    shape; a Series' index is dropped (see :data:`PREDICTION_RULE`)."""
    return list(np.broadcast_arrays(*[np.asarray(v, dtype=np.float64) for v in values]))


def prediction(result: object) -> np.ndarray:
    """A prediction as every model returns it: a float64 ndarray (:data:`PREDICTION_RULE`)."""
    return np.asarray(result, dtype=np.float64)
