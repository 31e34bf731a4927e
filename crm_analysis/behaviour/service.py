"""Customer service: ticket volumes, response and resolution times, satisfaction, heavy users,
and whether complaints, slow resolutions and low satisfaction go with less purchasing later.

The effect test avoids look-ahead: each purchase day d is marked as followed by a complaint
(or a slow resolution, or a low rating) when the customer raised one in ``[d, d + lag)``, using
only what was known at ``d + lag``; the outcome is the number of purchase days in the following
window ``[d + lag, d + lag + W)``. Exposed and unexposed purchases are compared raw (share
followed by another purchase, Newcombe interval) and in a Poisson regression adjusting for the
purchase number, the days since the previous purchase, tenure and the calendar quarter
(standard errors clustered by customer, since a customer contributes several purchases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.behaviour.prepare import customer_codes, day_numbers, sorted_unique
from crm_analysis.keys import isin
from crm_analysis.limits import NotEnoughData
from crm_analysis.stats import compare_proportions

__all__ = ["EXPOSURES", "ComplaintEffect", "complaint_effect", "effect_panel",
           "implied_dropout_effect", "poisson_cluster_fit", "response_summary", "response_times",
           "satisfaction_counts", "ticket_volume", "top_ticket_customers"]

HOUR = pd.Timedelta(hours=1)

EXPOSURES: dict[str, str] = {
    "complaint": "a complaint",
    "slow_resolution": "a ticket not resolved within the slow-resolution limit",
    "low_satisfaction": "a satisfaction rating of 1 or 2",
    "inquiry": "an inquiry (reference: contact without a complaint)",
}
"""Exposures tested, and how the report words them."""


def ticket_volume(tickets: pd.DataFrame, by: str = "type", *, freq: str = "M") -> pd.DataFrame:
    """Tickets opened per period and value of ``by`` (type, channel or topic).

    Returns
    -------
    DataFrame
        ``period`` (period start), ``by`` value (column named ``by``), ``tickets``.
    """
    period = tickets["opened_at"].dt.to_period(freq).dt.to_timestamp()
    key = tickets[by].astype("string").fillna("unknown")
    return (pd.DataFrame({"period": period, by: key})
            .groupby(["period", by], observed=True).size().rename("tickets").reset_index())


def response_times(tickets: pd.DataFrame) -> pd.DataFrame:
    """First-response and resolution time of each ticket, in hours (NaN when not reached).

    Returns
    -------
    DataFrame
        ``ticket_id``, ``type``, ``channel`` (when present), ``first_response_hours``,
        ``resolution_hours``, ``resolved`` (bool).
    """
    out = tickets[[c for c in ("ticket_id", "type", "channel") if c in tickets]].copy()
    opened = tickets["opened_at"]
    for col, name in (("first_response_at", "first_response_hours"),
                      ("resolved_at", "resolution_hours")):
        out[name] = ((tickets[col] - opened) / HOUR).astype(float) if col in tickets else np.nan
    out["resolved"] = out["resolution_hours"].notna()
    return out


def response_summary(times: pd.DataFrame, by: str = "type") -> pd.DataFrame:
    """Median and 90th percentile of response and resolution hours, and share unresolved.

    Returns
    -------
    DataFrame
        One row per ``by`` value plus "all": ``tickets``, ``first_response_median_hours``,
        ``first_response_p90_hours``, ``resolution_median_hours``, ``resolution_p90_hours``,
        ``share_unresolved``.
    """
    frame = pd.concat([times, times.assign(**{by: "all"})], ignore_index=True)
    frame[by] = frame[by].astype("string")
    g = frame.groupby(by, observed=True)
    out = pd.DataFrame({
        "tickets": g.size(),
        "first_response_median_hours": g["first_response_hours"].median(),
        "first_response_p90_hours": g["first_response_hours"].quantile(0.9),
        "resolution_median_hours": g["resolution_hours"].median(),
        "resolution_p90_hours": g["resolution_hours"].quantile(0.9),
        "share_unresolved": 1 - g["resolved"].mean(),
    })
    return out.reset_index()


def satisfaction_counts(tickets: pd.DataFrame) -> pd.DataFrame:
    """Ratings 1..5 per ticket type: count and share of the type's rated tickets.

    Returns
    -------
    DataFrame
        ``type``, ``satisfaction`` (1..5), ``tickets``, ``share``; plus a ``rated_share``
        attribute-free column giving the share of the type's tickets that carry a rating.
    """
    rated = tickets.dropna(subset=["satisfaction"])
    counts = (rated.assign(satisfaction=rated["satisfaction"].astype(int),
                           type=rated["type"].astype("string"))
              .groupby(["type", "satisfaction"], observed=True).size().rename("tickets")
              .reset_index())
    counts["share"] = counts["tickets"] / counts.groupby("type")["tickets"].transform("sum")
    total = tickets["type"].astype("string").value_counts()
    counts["rated_share"] = (counts.groupby("type")["tickets"].transform("sum")
                             / counts["type"].map(total).astype(float))
    return counts


def top_ticket_customers(tickets: pd.DataFrame, n: int = 10) -> tuple[pd.DataFrame, dict]:
    """The customers (by id) behind most tickets and how concentrated tickets are.

    Returns
    -------
    (DataFrame, dict)
        Top ``n`` customers: ``customer_id``, ``tickets``, ``complaints``, ``share_of_tickets``;
        and ``{"customers": ..., "top1pct_share": ..., "top10pct_share": ...}`` (shares of all
        tickets raised by the top 1 % / 10 % of ticket-raising customers).
    """
    frame = tickets.dropna(subset=["customer_id"])
    per = (frame.assign(complaint=frame["type"].eq("complaint").fillna(False))
           .groupby("customer_id", observed=True)
           .agg(tickets=("type", "size"), complaints=("complaint", "sum"))
           .sort_values(["tickets", "complaints"], ascending=False))
    total = max(int(per["tickets"].sum()), 1)
    per["share_of_tickets"] = per["tickets"] / total
    cum = per["tickets"].cumsum().to_numpy()
    m = len(per)

    def top(frac: float) -> float:
        return float(cum[max(int(np.ceil(frac * m)), 1) - 1] / total) if m else float("nan")

    return (per.head(n).reset_index(),
            {"customers": m, "top1pct_share": top(0.01), "top10pct_share": top(0.10)})


# ---------------------------------------------------------------------------------------------
# the effect test
# ---------------------------------------------------------------------------------------------
def effect_panel(
    purchases: pd.DataFrame,
    tickets: pd.DataFrame,
    as_of: object,
    *,
    window_days: int = 90,
    lag_days: int = 14,
    slow_hours: float = 72.0,
    low_rating: int = 2,
) -> pd.DataFrame:
    """One row per purchase day whose follow-up window is complete, with its exposures.

    A purchase on day d is *exposed* to a complaint when the customer opened a complaint in
    ``[d, d + lag)``; the outcome is counted in ``[d + lag, d + lag + W)``, so the exposure is
    known before the outcome starts (no look-ahead). Purchases with ``d + lag + W`` after
    ``as_of`` are left out (their outcome is not observed yet).

    Parameters
    ----------
    purchases : DataFrame
        Purchases of known customers up to ``as_of`` (``customer_id``, ``order_date``).
    tickets : DataFrame
        Service tickets (``customer_id``, ``opened_at``, ``type``; ``resolved_at`` and
        ``satisfaction`` when present).
    as_of : date-like
        Snapshot day.
    window_days : int
        Outcome window W, days.
    lag_days : int
        Exposure window after the purchase, days.
    slow_hours : float
        A ticket is slow when not resolved within this many hours; known only for tickets
        opened at least that long before the outcome window starts.
    low_rating : int
        Ratings up to this value are low (counted for tickets resolved before the outcome
        window).

    Returns
    -------
    DataFrame
        ``customer_id``, ``purchase_day`` (Timestamp), ``purchase_number`` (1 = first),
        ``gap_days`` (days since the previous purchase, 0 for the first), ``tenure_days``,
        ``later_days`` (purchase days in the outcome window), ``bought_again`` (bool) and one
        bool column per entry of :data:`EXPOSURES`.
    """
    codes, ids = customer_codes(purchases)
    if not len(ids):
        return pd.DataFrame()
    days = day_numbers(purchases["order_date"])
    lo = int(days.min())
    span = int(days.max()) - lo + 1 + 2 * (int(window_days) + int(lag_days)) + 1
    key = sorted_unique(codes * span + (days - lo))  # distinct purchase days, sorted
    pc, pday = key // span, key % span
    starts = np.concatenate(([True], pc[1:] != pc[:-1]))
    start_pos = np.maximum.accumulate(np.where(starts, np.arange(len(key)), 0))
    number = np.arange(len(key)) - start_pos + 1
    gap = np.where(starts, 0, pday - np.roll(pday, 1))
    tenure = pday - pday[start_pos]
    end = int(np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "D")
              .astype(np.int64)) - lo
    W, L = int(window_days), int(lag_days)
    later = (np.searchsorted(key, key + L + W, "left") - np.searchsorted(key, key + L, "left"))

    tk = tickets.dropna(subset=["customer_id"])
    tcode = ids.get_indexer(tk["customer_id"])
    known = tcode >= 0
    tk, tcode = tk[known], tcode[known]
    opened = tk["opened_at"]
    open_day = day_numbers(opened) - lo
    row = np.searchsorted(key, tcode * span + open_day, "right") - 1  # latest purchase <= open
    ok = (row >= 0) & (pc[np.maximum(row, 0)] == tcode) & (open_day - pday[np.maximum(row, 0)]
                                                           < L)
    outcome_start = (pday[np.maximum(row, 0)] + L + lo).astype("datetime64[D]")
    outcome_start = pd.Series(outcome_start, index=tk.index).astype("datetime64[ns]")
    resolved = tk["resolved_at"] if "resolved_at" in tk else pd.Series(pd.NaT, index=tk.index)
    ttype = tk["type"].astype("string").str.lower()
    sat = (pd.to_numeric(tk["satisfaction"], errors="coerce") if "satisfaction" in tk
           else pd.Series(np.nan, index=tk.index))
    limit = pd.Timedelta(hours=slow_hours)
    slow = ((opened + limit <= outcome_start)
            & (resolved.isna() | (resolved > opened + limit))).fillna(False).to_numpy(bool)
    rated_low = ((resolved < outcome_start) & (sat <= low_rating)).fillna(False).to_numpy(bool)
    flags = {
        "complaint": ttype.eq("complaint").fillna(False).to_numpy(bool),
        "slow_resolution": slow,
        "low_satisfaction": rated_low,
        "inquiry": ttype.eq("inquiry").fillna(False).to_numpy(bool),
    }
    eligible = pday + L + W <= end + 1
    out = pd.DataFrame({
        "customer_id": ids[pc[eligible]],
        "purchase_day": (pday[eligible] + lo).astype("datetime64[D]").astype("datetime64[ns]"),
        "purchase_number": number[eligible],
        "gap_days": gap[eligible],
        "tenure_days": tenure[eligible],
        "later_days": later[eligible],
        "bought_again": later[eligible] > 0,
    })
    for name, mask in flags.items():
        hit = np.zeros(len(key), bool)
        hit[row[ok & mask]] = True
        out[name] = hit[eligible]
    return out


@dataclass(frozen=True)
class ComplaintEffect:
    """Result of :func:`complaint_effect`.

    Attributes
    ----------
    table : DataFrame
        One row per exposure (see :func:`complaint_effect`).
    window_days, lag_days : int
        Outcome window and exposure lag, days.
    panel : DataFrame
        The purchase-level panel of :func:`effect_panel`.
    """

    table: pd.DataFrame
    window_days: int
    lag_days: int
    panel: pd.DataFrame

    def row(self, exposure: str = "complaint") -> pd.Series:
        """The result row of one exposure."""
        return self.table.set_index("exposure").loc[exposure]


def _design(frame: pd.DataFrame) -> pd.DataFrame:
    quarter = frame["purchase_day"].dt.to_period("Q").astype("string")
    X = pd.DataFrame({
        "log_purchase_number": np.log(frame["purchase_number"].astype(float)),
        "first_purchase": (frame["purchase_number"] == 1).astype(float),
        "log_gap": np.log1p(frame["gap_days"].astype(float)),
        "log_tenure": np.log1p(frame["tenure_days"].astype(float)),
    }, index=frame.index)
    dummies = pd.get_dummies(quarter, prefix="q", drop_first=True, dtype=float)
    return pd.concat([X, dummies], axis=1)


def poisson_cluster_fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                        max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Poisson regression (log link) by Newton-Raphson with cluster-robust standard errors.

    Parameters
    ----------
    X : ndarray (n, k)
        Design matrix including the constant column.
    y : ndarray (n,)
        Counts.
    groups : ndarray (n,) of int
        Cluster codes 0..G-1 (e.g. customers).

    Returns
    -------
    (ndarray, ndarray)
        Coefficients and their sandwich standard errors (clustered, with the small-sample
        factor G / (G - 1)).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small dense products: threads only contend
        return _poisson_newton(X, y, groups, max_iter)


def _poisson_newton(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                    max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(max_iter):  # Newton steps, not data rows
        mu = np.exp(np.clip(X @ beta, -30, 30))
        hess = X.T @ (X * mu[:, None])
        step = np.linalg.solve(hess, X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-8:
            break
    mu = np.exp(np.clip(X @ beta, -30, 30))
    bread = np.linalg.inv(X.T @ (X * mu[:, None]))
    scores = X * (y - mu)[:, None]
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
    summed = np.add.reduceat(scores[order], starts, axis=0)
    n_groups = len(starts)
    meat = summed.T @ summed * n_groups / max(n_groups - 1, 1)
    cov = bread @ meat @ bread
    return beta, np.sqrt(np.diag(cov))


def _poisson_effect(frame: pd.DataFrame, base: pd.DataFrame, exposure: str,
                    ci: float) -> tuple[float, float, float, float]:
    """Adjusted rate ratio - 1 of later purchase days for ``exposure`` (Poisson regression,
    standard errors clustered by customer)."""
    from scipy.stats import norm

    e = frame[exposure].to_numpy(bool)
    if e.sum() < 5 or (~e).sum() < 5:
        return (np.nan,) * 4
    X = np.column_stack([np.ones(len(frame)), base.to_numpy(float), e.astype(float)])
    groups = pd.factorize(frame["customer_id"])[0]
    try:
        beta, se = poisson_cluster_fit(X, frame["later_days"].to_numpy(float), groups)
    except np.linalg.LinAlgError:  # the data do not identify the effect (e.g. no later purchase)
        return (np.nan,) * 4
    b, s = beta[-1], se[-1]
    z = norm.ppf(0.5 + ci / 2)
    p = float(2 * norm.sf(abs(b) / s)) if s > 0 else float("nan")
    return (float(np.exp(b) - 1), float(np.exp(b - z * s) - 1), float(np.exp(b + z * s) - 1),
            p)


MIN_EXPOSED = 20
"""Fewest purchases followed by a complaint (and fewest without) for the complaint effect."""


def complaint_effect(
    purchases: pd.DataFrame,
    tickets: pd.DataFrame,
    as_of: object,
    *,
    window_days: int = 90,
    lag_days: int = 14,
    slow_hours: float = 72.0,
    ci: float = 0.95,
    max_rows: int = 1_000_000,
    seed: int = 0,
) -> ComplaintEffect:
    """Do complaints, slow resolutions and low ratings go with fewer purchases afterwards?

    Parameters
    ----------
    purchases, tickets, as_of, window_days, lag_days, slow_hours
        As for :func:`effect_panel`.
    ci : float
        Confidence level.
    max_rows : int
        The regression uses at most about this many purchases (a random sample of whole
        customers).
    seed : int
        Seed of that sample.

    Returns
    -------
    ComplaintEffect
        ``table`` has one row per exposure: ``exposure``, ``description``, ``n_exposed``,
        ``n_unexposed`` (purchases), ``bought_again_exposed`` and ``bought_again_unexposed``
        (share with a purchase in the outcome window), ``difference`` with
        ``difference_lo``/``_hi`` and ``p_value`` (unadjusted: Newcombe interval, z test),
        ``relative_change`` = adjusted rate ratio of later purchase days minus 1 (-0.2 = 20 %
        fewer) with ``relative_change_lo``/``_hi`` and ``relative_change_p`` (Poisson
        regression on purchase number, days since the previous purchase, tenure and calendar
        quarter; standard errors clustered by customer).

    Raises
    ------
    NotEnoughData
        Fewer than :data:`MIN_EXPOSED` purchases with a complaint, or without one, have a
        complete follow-up window.
    """
    panel = effect_panel(purchases, tickets, as_of, window_days=window_days,
                         lag_days=lag_days, slow_hours=slow_hours)
    exposed = int(panel["complaint"].sum()) if len(panel) else 0
    if exposed < MIN_EXPOSED or len(panel) - exposed < MIN_EXPOSED:
        raise NotEnoughData(
            f"it needs at least {MIN_EXPOSED} purchases followed by a complaint and "
            f"{MIN_EXPOSED} without, each with {window_days} days of follow-up before the "
            f"snapshot; the data has {exposed:,} and {len(panel) - exposed:,}")
    frame = panel
    if len(frame) > max_rows:
        cust = frame["customer_id"].drop_duplicates()
        keep = cust.sample(frac=max_rows / len(frame), random_state=seed)
        frame = frame[isin(frame["customer_id"], keep)]
    base = _design(frame) if len(frame) else None
    rows = []
    for name, words in EXPOSURES.items():
        if not len(panel):
            rows.append({"exposure": name, "description": words, "n_exposed": 0})
            continue
        e = panel[name].to_numpy(bool)
        again = panel["bought_again"].to_numpy(bool)
        cmp = compare_proportions(again[e].sum(), e.sum(), again[~e].sum(), (~e).sum(), ci=ci)
        rel, lo, hi, p = _poisson_effect(frame, base, name, ci)
        rows.append({"exposure": name, "description": words, "n_exposed": int(e.sum()),
                     "n_unexposed": int((~e).sum()),
                     "bought_again_exposed": cmp.rate_a, "bought_again_unexposed": cmp.rate_b,
                     "difference": cmp.difference, "difference_lo": cmp.difference_lo,
                     "difference_hi": cmp.difference_hi, "p_value": cmp.p_value,
                     "bought_again_rr": cmp.relative_risk, "bought_again_rr_lo":
                     cmp.relative_risk_lo, "bought_again_rr_hi": cmp.relative_risk_hi,
                     "relative_change": rel, "relative_change_lo": lo,
                     "relative_change_hi": hi, "relative_change_p": p})
    return ComplaintEffect(pd.DataFrame(rows), int(window_days), int(lag_days), panel)


def implied_dropout_effect(p: object, factor: object) -> float:
    """Relative change in the chance to stay active implied by a dropout-probability factor.

    A customer who would drop out with probability ``p`` after a purchase drops out with
    ``min(1, p * factor)`` after a complaint; the chance to stay changes by
    ``(1 - min(1, p f)) / (1 - p) - 1``. Averaged over customers, this is the generator's true
    effect on later purchasing (to first order: purchases of the survivors are unchanged).

    Parameters
    ----------
    p : array-like
        Dropout probabilities of the exposed customers.
    factor : float or array-like
        Dropout factor (e.g. ``complaint_dropout_factor``, times ``complaint_slow_factor`` for
        slow complaints).

    Returns
    -------
    float
        Mean relative change (negative: fewer customers stay).
    """
    p = np.asarray(p, float)
    f = np.broadcast_to(np.asarray(factor, float), p.shape)
    stay = 1 - np.minimum(1.0, p * f)
    return float(np.mean(stay) / np.mean(1 - p) - 1) if len(p) else float("nan")
