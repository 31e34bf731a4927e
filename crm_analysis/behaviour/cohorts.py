"""Acquisition cohorts, retention and revenue triangles, time to second purchase, purchase gaps.

A customer's cohort is the calendar month of the first order (or of the signup date when a
customers table gives one); month ``k`` of a cohort is the k-th calendar month after it (0 =
the cohort month). The transaction scan is :func:`purchase_days` (on the engine it is given,
default pandas); every function takes the purchases or that reduction, so a report
scans once. The rest is integer arithmetic on customer codes (no loop over customers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.behaviour.prepare import sorted_unique
from crm_analysis.engines import EngineConfig
from crm_analysis.features import CustomerDays, customer_days

__all__ = ["cohort_table", "interpurchase_quantiles", "interpurchase_times", "purchase_days",
           "retention_at", "second_purchase_curve", "triangle"]


def purchase_days(purchases: pd.DataFrame | CustomerDays, *,
                  engine: EngineConfig | str | None = None) -> CustomerDays:
    """Purchases per customer and day (:func:`crm_analysis.features.customer_days`), once.

    ``engine``: what scans the purchases (default pandas); given days are returned as they are.
    """
    if isinstance(purchases, CustomerDays):
        return purchases
    return customer_days(purchases, amount_col="amount" if "amount" in purchases.columns
                         else None, engine=engine)


def cohort_table(
    purchases: pd.DataFrame | CustomerDays,
    as_of: object,
    *,
    signup: pd.Series | None = None,
) -> pd.DataFrame:
    """Retention and revenue per customer of monthly acquisition cohorts (long format).

    Parameters
    ----------
    purchases : DataFrame or CustomerDays
        Orders of known customers up to ``as_of`` (``customer_id``, ``order_date``,
        ``amount``), cancellations removed; or their :func:`purchase_days`.
    as_of : date-like
        Snapshot day; month ``k`` of a cohort is shown only when it has started by then.
    signup : Series, optional
        Signup timestamps indexed by customer id: cohorts by signup month instead of first order
        (customers without a signup date fall back to their first order).

    Returns
    -------
    DataFrame
        One row per cohort and month since acquisition: ``cohort`` (month start, Timestamp),
        ``months_since`` (int), ``customers`` (cohort size), ``active`` (customers with an order
        in that month), ``retention`` (active / customers), ``revenue`` (currency),
        ``revenue_per_customer`` (revenue / customers, currency) and
        ``cumulative_revenue_per_customer``. The cohort's own month is included (k = 0).
        No rows when there are no purchases of known customers.
    """
    days = purchase_days(purchases)
    if not len(days.code):
        return pd.DataFrame({
            "cohort": pd.Series(dtype="datetime64[ns]"), "months_since": pd.Series(dtype=int),
            "customers": pd.Series(dtype=int), "active": pd.Series(dtype=int),
            "revenue": pd.Series(dtype=float), "retention": pd.Series(dtype=float),
            "revenue_per_customer": pd.Series(dtype=float),
            "cumulative_revenue_per_customer": pd.Series(dtype=float)})
    codes, ids = days.code, days.customers
    month = days.day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = month[days.starts()]  # rows are sorted by customer and day
    if signup is not None:
        su = pd.Series(signup).reindex(ids)
        su_month = su.to_numpy().astype("datetime64[M]")
        ok = ~np.isnat(su_month)
        first = np.where(ok, np.minimum(su_month.astype(np.int64), first), first)
    k = month - first[codes]
    end_month = int(np.datetime64(pd.Timestamp(as_of).to_datetime64(), "M").astype(np.int64))
    lo, hi = int(first.min()), int(end_month)
    span = hi - lo + 1
    cohort_idx = first - lo
    size = np.bincount(cohort_idx, minlength=span)
    cell = cohort_idx[codes] * span + k
    pair = sorted_unique(codes * span + k)  # distinct (customer, k)
    active = np.bincount(cohort_idx[pair // span] * span + pair % span, minlength=span * span)
    revenue = np.bincount(cell, weights=days.amount, minlength=span * span)
    grid_c, grid_k = np.divmod(np.arange(span * span), span)
    keep = (size[grid_c] > 0) & (grid_c + grid_k <= span - 1)
    out = pd.DataFrame({
        "cohort": (np.array(grid_c[keep] + lo, dtype="datetime64[M]")
                   .astype("datetime64[ns]")),
        "months_since": grid_k[keep],
        "customers": size[grid_c[keep]],
        "active": active[keep],
        "revenue": revenue[keep],
    })
    out["retention"] = out["active"] / out["customers"]
    out["revenue_per_customer"] = out["revenue"] / out["customers"]
    out["cumulative_revenue_per_customer"] = (out.groupby("cohort")["revenue_per_customer"]
                                              .cumsum())
    return out


def triangle(cohorts: pd.DataFrame, value: str = "retention", *,
             last_months: int | None = 24) -> pd.DataFrame:
    """Cohort x months-since matrix of one column of :func:`cohort_table` (for a heatmap).

    ``last_months`` keeps the most recent cohorts only (None keeps all).
    """
    wide = cohorts.pivot(index="cohort", columns="months_since", values=value).sort_index()
    if last_months:
        wide = wide.iloc[-last_months:]
        wide = wide.loc[:, wide.notna().any()]
    wide.index = wide.index.strftime("%Y-%m")
    return wide


def retention_at(cohorts: pd.DataFrame, months: int, *, complete_only: bool = True) -> float:
    """Share of customers active in month ``months`` after acquisition, over all cohorts.

    Weighted by cohort size; with ``complete_only`` the cohort's last (possibly partial) month
    is ignored, i.e. only cohorts that have lived through month ``months`` count.
    """
    last = cohorts.groupby("cohort")["months_since"].transform("max")
    rows = cohorts[(cohorts["months_since"] == months)
                   & ((last > months) if complete_only else True)]
    if rows.empty:
        return float("nan")
    return float(rows["active"].sum() / rows["customers"].sum())


def _distinct_days(purchases: pd.DataFrame | CustomerDays
                   ) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    days = purchase_days(purchases)
    return days.code, days.day, days.customers


def interpurchase_times(purchases: pd.DataFrame | CustomerDays) -> pd.DataFrame:
    """Gaps between consecutive purchase days of each customer.

    Several orders on one calendar day are one purchase day.

    Returns
    -------
    DataFrame
        One row per gap: ``customer_id``, ``gap_days`` (int, >= 1), ``purchase_number`` (2 for
        the gap before the second purchase day, ...).
    """
    codes, days, ids = _distinct_days(purchases)
    same = codes[1:] == codes[:-1]
    gaps = np.diff(days)[same]
    starts = np.concatenate(([True], ~same))
    position = np.arange(len(codes)) - np.maximum.accumulate(
        np.where(starts, np.arange(len(codes)), 0))
    return pd.DataFrame({"customer_id": ids[codes[1:][same]], "gap_days": gaps,
                         "purchase_number": position[1:][same] + 1})


def interpurchase_quantiles(
    gaps: pd.DataFrame,
    quantiles: tuple[float, ...] = (0.25, 0.5, 0.75, 0.8, 0.9, 0.95),
    *,
    per_customer: bool = False,
) -> pd.DataFrame:
    """Quantiles of the gaps between purchases (days).

    Parameters
    ----------
    gaps : DataFrame
        From :func:`interpurchase_times`.
    quantiles : tuple of float
        Probabilities.
    per_customer : bool
        False: every gap counts once (frequent buyers weigh more: the right basis for "how long
        after a purchase is a silence unusual"). True: each customer's median gap counts once.

    Returns
    -------
    DataFrame
        ``quantile`` (probability) and ``days``.
    """
    values = (gaps.groupby("customer_id", observed=True)["gap_days"].median()
              if per_customer else gaps["gap_days"])
    q = np.quantile(values.to_numpy(float), quantiles) if len(values) else np.full(
        len(quantiles), np.nan)
    return pd.DataFrame({"quantile": quantiles, "days": q})


def second_purchase_curve(purchases: pd.DataFrame | CustomerDays, as_of: object,
                          max_days: int = 730) -> pd.DataFrame:
    """Kaplan-Meier share of customers who made a second purchase within t days of the first.

    Customers without a second purchase are censored at ``as_of`` (their wait so far), so
    recent customers do not pull the curve down.

    Returns
    -------
    DataFrame
        ``days`` (0..max_days) and ``share_repeated`` (1 - survival), plus ``at_risk``. No
        rows when there are no purchases of known customers.
    """
    codes, days, _ = _distinct_days(purchases)
    if not len(codes):
        return pd.DataFrame({"days": pd.Series(dtype=int), "share_repeated": pd.Series(
            dtype=float), "at_risk": pd.Series(dtype=int)})
    starts = np.concatenate(([True], codes[1:] != codes[:-1]))
    first_pos = np.flatnonzero(starts)
    has_second = np.zeros(len(first_pos), bool)
    nxt = first_pos + 1
    valid = nxt < len(codes)
    has_second[valid] = codes[np.minimum(nxt, len(codes) - 1)][valid] == codes[first_pos][valid]
    end = int(np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "D")
              .astype(np.int64))
    wait = np.where(has_second, days[np.minimum(nxt, len(days) - 1)], end) - days[first_pos]
    wait = np.clip(wait, 0, None)
    grid = np.arange(max_days + 1)
    events = np.bincount(wait[has_second], minlength=max_days + 2)[: max_days + 1]
    exits = np.bincount(np.minimum(wait, max_days + 1), minlength=max_days + 2)
    at_risk = len(wait) - np.concatenate(([0], np.cumsum(exits)[:-1]))[: max_days + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
    survival = np.cumprod(1 - hazard)
    return pd.DataFrame({"days": grid, "share_repeated": 1 - survival, "at_risk": at_risk})
