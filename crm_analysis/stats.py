"""Descriptive statistics and two-sample comparisons with effect sizes and confidence intervals.

Every estimate comes with an interval: bootstrap percentile intervals for descriptive statistics
(vectorised with numpy, seeded), Fisher z for Pearson correlations, the bootstrap for Spearman,
Welch for differences in means, Wilson and Newcombe for proportions, Katz (log) for relative
risks, Hanley-McNeil for Cliff's delta. Hypothesis tests come from :mod:`scipy.stats`.

Conventions: ``ci`` is the two-sided confidence level (0.95 = 95 %); intervals are returned as
``*_lo`` / ``*_hi`` columns or fields; missing values (NaN) are dropped per measure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

__all__ = [
    "bootstrap_ci",
    "cliffs_delta",
    "compare_distributions",
    "compare_means",
    "compare_proportions",
    "correlations",
    "describe",
    "power_two_proportions",
    "wilson_ci",
]

_MAX_CELLS = 20_000_000
"""Largest bootstrap block (resamples x observations) held in memory at once."""


def _z(ci: float) -> float:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), e.g. 0.95; got {ci!r}")
    return float(sps.norm.ppf(0.5 + ci / 2))


def _clean(values: object) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan)
    return arr[np.isfinite(arr)]


# ---------------------------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------------------------
def _skew_rows(x: np.ndarray) -> np.ndarray:
    d = x - x.mean(axis=1, keepdims=True)
    d2 = d * d
    m2 = d2.mean(axis=1)
    m3 = (d2 * d).mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return m3 / m2**1.5


def _iqr_rows(x: np.ndarray) -> np.ndarray:
    q = np.quantile(x, [0.25, 0.75], axis=1)
    return q[1] - q[0]


STATISTICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda x: x.mean(axis=1),
    "median": lambda x: np.median(x, axis=1),
    "variance": lambda x: x.var(axis=1, ddof=1),
    "std": lambda x: x.std(axis=1, ddof=1),
    "iqr": _iqr_rows,
    "skewness": _skew_rows,
}
"""Row-wise statistics of a (resamples, observations) array, by name."""


def bootstrap_ci(
    values: object,
    statistics: Sequence[str] = ("mean", "median"),
    *,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
    max_sample: int = 10_000,
) -> pd.DataFrame:
    """Point estimates and bootstrap percentile intervals of several statistics of one sample.

    Resampling is vectorised: a block of resamples is one ``(resamples, n)`` index array, and the
    statistics are computed row-wise. Samples larger than ``max_sample`` use the m-out-of-n
    bootstrap (m = ``max_sample``) with the spread rescaled by ``sqrt(m / n)``, which keeps the
    interval width right for smooth statistics (mean, median, variance) at a fraction of the work.

    Parameters
    ----------
    values : array-like
        The sample (NaN and infinities are dropped).
    statistics : sequence of str
        Names from :data:`STATISTICS`: mean, median, variance, std, iqr, skewness.
    n_bootstrap : int
        Number of resamples.
    ci : float
        Confidence level.
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    max_sample : int
        Resample size cap (see above).

    Returns
    -------
    DataFrame
        One row per statistic: ``statistic``, ``estimate``, ``ci_lo``, ``ci_hi``, ``n``.
    """
    x = _clean(values)
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown:
        raise ValueError(f"unknown statistic(s) {unknown}; choose from {list(STATISTICS)}")
    n = len(x)
    estimates = {s: float(STATISTICS[s](x[None, :])[0]) if n > 1 else np.nan for s in statistics}
    if n < 2 or n_bootstrap < 1:
        return pd.DataFrame({"statistic": list(statistics), "estimate": list(estimates.values()),
                             "ci_lo": np.nan, "ci_hi": np.nan, "n": n})
    rng = np.random.default_rng(seed)
    m = min(n, max_sample)
    block = max(1, _MAX_CELLS // m)
    draws: dict[str, list[np.ndarray]] = {s: [] for s in statistics}
    for start in range(0, n_bootstrap, block):
        idx = rng.integers(0, n, size=(min(block, n_bootstrap - start), m))
        sample = x[idx]
        for s in statistics:
            draws[s].append(STATISTICS[s](sample))
    alpha = (1 - ci) / 2
    rows = []
    scale = np.sqrt(m / n)
    for s in statistics:
        lo, hi = np.nanquantile(np.concatenate(draws[s]), [alpha, 1 - alpha])
        est = estimates[s]
        rows.append({"statistic": s, "estimate": est,
                     "ci_lo": est + scale * (lo - est), "ci_hi": est + scale * (hi - est),
                     "n": n})
    return pd.DataFrame(rows)


def describe(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    statistics: Sequence[str] = ("mean", "median", "std", "variance", "iqr", "skewness"),
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
    max_sample: int = 10_000,
) -> pd.DataFrame:
    """Descriptive statistics of several measures, each with a bootstrap interval.

    Parameters
    ----------
    frame : DataFrame
        One row per unit (e.g. customer).
    columns : sequence of str, optional
        Measures to describe (default: all numeric columns).
    statistics, n_bootstrap, ci, seed, max_sample
        As for :func:`bootstrap_ci`.

    Returns
    -------
    DataFrame
        Long table: ``measure``, ``statistic``, ``estimate``, ``ci_lo``, ``ci_hi``, ``n`` (in the
        measure's own unit; variance in its square).
    """
    columns = list(columns) if columns is not None else list(
        frame.select_dtypes("number").columns)
    parts = [bootstrap_ci(frame[c], statistics, n_bootstrap=n_bootstrap, ci=ci,
                          seed=None if seed is None else seed + i,
                          max_sample=max_sample).assign(measure=c)
             for i, c in enumerate(columns)]
    out = pd.concat(parts, ignore_index=True)
    return out[["measure", "statistic", "estimate", "ci_lo", "ci_hi", "n"]]


# ---------------------------------------------------------------------------------------------
# correlation
# ---------------------------------------------------------------------------------------------
def _pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(axis=-1) / np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))


def correlations(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    seed: int | None = 0,
    max_sample: int = 5_000,
) -> pd.DataFrame:
    """Covariance, Pearson and Spearman correlation of each pair of measures, with intervals.

    Pearson intervals use the Fisher z transform; Spearman intervals a vectorised percentile
    bootstrap of the Pearson correlation of the (average) ranks of the full sample (resample
    size capped at ``max_sample`` with the m-out-of-n rescaling of :func:`bootstrap_ci`).

    Parameters
    ----------
    frame : DataFrame
        One row per unit; rows with a missing value in either measure of a pair are dropped for
        that pair.
    columns : sequence of str
        At least two numeric measures.
    n_bootstrap, ci, seed, max_sample
        Bootstrap settings for Spearman.

    Returns
    -------
    DataFrame
        One row per pair (``x``, ``y``): ``n``, ``covariance`` (product of the units),
        ``pearson``, ``pearson_lo``, ``pearson_hi``, ``pearson_p``, ``spearman``,
        ``spearman_lo``, ``spearman_hi``, ``spearman_p``.
    """
    z = _z(ci)
    rng = np.random.default_rng(seed)
    alpha = (1 - ci) / 2
    rows = []
    cols = list(columns)
    for i, cx in enumerate(cols):
        for cy in cols[i + 1:]:
            pair = frame[[cx, cy]].apply(pd.to_numeric, errors="coerce").dropna()
            a, b = pair[cx].to_numpy(float), pair[cy].to_numpy(float)
            n = len(a)
            row = {"x": cx, "y": cy, "n": n}
            if n < 4:
                rows.append(row)
                continue
            r, p = sps.pearsonr(a, b)
            half = z / np.sqrt(n - 3)
            rho, rho_p = sps.spearmanr(a, b)
            m = min(n, max_sample)
            idx = rng.integers(0, n, size=(n_bootstrap, m))
            ra, rb = sps.rankdata(a), sps.rankdata(b)
            boot = np.concatenate([_pearson_rows(ra[i], rb[i])
                                   for i in np.array_split(idx, max(1, idx.size // _MAX_CELLS))])
            lo, hi = np.nanquantile(boot, [alpha, 1 - alpha]) if n_bootstrap else (np.nan,) * 2
            scale = np.sqrt(m / n)
            row.update(covariance=float(np.cov(a, b)[0, 1]),
                       pearson=float(r), pearson_lo=float(np.tanh(np.arctanh(r) - half)),
                       pearson_hi=float(np.tanh(np.arctanh(r) + half)), pearson_p=float(p),
                       spearman=float(rho), spearman_lo=float(rho + scale * (lo - rho)),
                       spearman_hi=float(rho + scale * (hi - rho)), spearman_p=float(rho_p))
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# two-sample comparisons
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Result of a two-sample comparison (group a minus group b)."""

    measure: str
    n_a: int
    n_b: int
    estimate_a: float
    estimate_b: float
    effect: float
    ci_lo: float
    ci_hi: float
    p_value: float
    test: str

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (one row of a results table)."""
        return asdict(self)


def compare_means(a: object, b: object, *, ci: float = 0.95) -> Comparison:
    """Difference in means ``mean(a) - mean(b)`` with Welch's interval and t-test.

    Returns
    -------
    Comparison
        ``effect`` = difference in means (in the measure's unit), ``test`` = "Welch t".
    """
    x, y = _clean(a), _clean(b)
    if len(x) < 2 or len(y) < 2:
        return Comparison("difference in means", len(x), len(y), np.nan, np.nan, np.nan,
                          np.nan, np.nan, np.nan, "Welch t")
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    se = np.sqrt(va + vb)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    diff = x.mean() - y.mean()
    t_crit = sps.t.ppf(0.5 + ci / 2, df) if np.isfinite(df) else _z(ci)
    p = sps.ttest_ind(x, y, equal_var=False).pvalue if se > 0 else np.nan
    return Comparison("difference in means", len(x), len(y), float(x.mean()), float(y.mean()),
                      float(diff), float(diff - t_crit * se), float(diff + t_crit * se),
                      float(p), "Welch t")


def cliffs_delta(a: object, b: object) -> float:
    """Cliff's delta ``P(A > B) - P(A < B)`` in [-1, 1] (ties count half; via ranks, O(n log n))."""
    x, y = _clean(a), _clean(b)
    if not len(x) or not len(y):
        return np.nan
    ranks = sps.rankdata(np.concatenate([x, y]))
    u = ranks[: len(x)].sum() - len(x) * (len(x) + 1) / 2
    return float(2 * u / (len(x) * len(y)) - 1)


def compare_distributions(a: object, b: object, *, ci: float = 0.95) -> Comparison:
    """Cliff's delta of ``a`` against ``b`` with the Mann-Whitney U test, for skewed measures.

    The interval is the Hanley-McNeil interval of the AUC ``(delta + 1) / 2`` mapped back.

    Returns
    -------
    Comparison
        ``effect`` = Cliff's delta, ``estimate_a`` / ``estimate_b`` = the medians.
    """
    x, y = _clean(a), _clean(b)
    n1, n2 = len(x), len(y)
    if not n1 or not n2:
        return Comparison("Cliff's delta", n1, n2, np.nan, np.nan, np.nan, np.nan, np.nan,
                          np.nan, "Mann-Whitney U")
    delta = cliffs_delta(x, y)
    auc = (delta + 1) / 2
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n2 - 1) * (q2 - auc**2)) / (n1 * n2)
    half = _z(ci) * np.sqrt(max(var, 0.0))
    p = sps.mannwhitneyu(x, y, alternative="two-sided").pvalue
    return Comparison("Cliff's delta", n1, n2, float(np.median(x)), float(np.median(y)), delta,
                      float(max(-1.0, 2 * (auc - half) - 1)), float(min(1.0, 2 * (auc + half) - 1)),
                      float(p), "Mann-Whitney U")


def wilson_ci(successes: object, n: object, *, ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion, vectorised.

    Parameters
    ----------
    successes, n : int or array of int
        Counts; ``n == 0`` gives (0, 1).
    ci : float
        Confidence level.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds in [0, 1].
    """
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = _z(ci)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, k / m, 0.0)
        denom = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denom
        half = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denom
    lo = np.where((m > 0) & (k > 0), np.clip(centre - half, 0, 1), 0.0)
    hi = np.where((m > 0) & (k < m), np.clip(centre + half, 0, 1), 1.0)
    return lo, hi


def power_two_proportions(p_a: object, p_b: object, n_a: object, n_b: object, *,
                          alpha: float = 0.05) -> np.ndarray:
    """Power of the two-sided two-proportion z test at the given rates and sizes (normal approx.).

    Vectorised over arrays; returns values in [alpha/2, 1] (``alpha`` for equal rates).
    """
    pa, pb = np.asarray(p_a, float), np.asarray(p_b, float)
    na, nb = np.asarray(n_a, float), np.asarray(n_b, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        shift = np.abs(pa - pb) / se
    za = sps.norm.ppf(1 - alpha / 2)
    power = sps.norm.cdf(shift - za) + sps.norm.cdf(-shift - za)
    return np.where(se > 0, power, np.nan)


@dataclass(frozen=True)
class ProportionComparison:
    """Two proportions (a against b): difference, relative risk, test and power."""

    n_a: int
    n_b: int
    rate_a: float
    rate_b: float
    rate_a_lo: float
    rate_a_hi: float
    rate_b_lo: float
    rate_b_hi: float
    difference: float
    difference_lo: float
    difference_hi: float
    relative_risk: float
    relative_risk_lo: float
    relative_risk_hi: float
    p_value: float
    power: float

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (one row of a results table)."""
        return asdict(self)


def compare_proportions(k_a: int, n_a: int, k_b: int, n_b: int, *, ci: float = 0.95,
                        alpha: float = 0.05) -> ProportionComparison:
    """Compare the proportions ``k_a / n_a`` and ``k_b / n_b``.

    The difference gets Newcombe's hybrid score interval (method 10: from the two Wilson
    intervals), the relative risk the Katz log interval (0.5 added to zero cells), the p-value
    is the pooled two-proportion z test (chi-square without continuity correction), and
    ``power`` is that test's power at the observed rates and sizes.
    """
    k_a, n_a, k_b, n_b = int(k_a), int(n_a), int(k_b), int(n_b)
    if n_a <= 0 or n_b <= 0:
        nan = float("nan")
        return ProportionComparison(n_a, n_b, *(nan,) * 14)
    pa, pb = k_a / n_a, k_b / n_b
    (la, ha), (lb, hb) = (tuple(float(v) for v in wilson_ci(k, n, ci=ci))
                          for k, n in ((k_a, n_a), (k_b, n_b)))
    d = pa - pb
    d_lo = d - np.sqrt((pa - la) ** 2 + (hb - pb) ** 2)
    d_hi = d + np.sqrt((ha - pa) ** 2 + (pb - lb) ** 2)
    z = _z(ci)
    ka, kb = (k_a + 0.5, k_b + 0.5) if 0 in (k_a, k_b) else (k_a, k_b)
    na_, nb_ = (n_a + 0.5, n_b + 0.5) if 0 in (k_a, k_b) else (n_a, n_b)
    rr = (ka / na_) / (kb / nb_)
    se_log = np.sqrt(max(1 / ka - 1 / na_ + 1 / kb - 1 / nb_, 0.0))
    pooled = (k_a + k_b) / (n_a + n_b)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    p = float(2 * sps.norm.sf(abs(d) / se0)) if se0 > 0 else float("nan")
    power = float(power_two_proportions(pa, pb, n_a, n_b, alpha=alpha))
    return ProportionComparison(n_a, n_b, pa, pb, la, ha, lb, hb, d, float(d_lo), float(d_hi),
                                float(rr), float(rr * np.exp(-z * se_log)),
                                float(rr * np.exp(z * se_log)), p, power)
