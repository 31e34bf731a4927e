"""The shape of the data: what every report needs to know before it reads its own numbers.

Real exports differ from each other more than any model does: nearly everyone a one-time buyer,
one closed cohort of customers, a year of history, dates without times, many guest orders.
:func:`profile_data` measures that shape once, from the cleaned orders (notebook 01 writes it to
``processed/data_profile.json``); each report states the parts that change how its own results
read (:func:`notes`).

Rules (documented in docs/real_data.md):

- *mostly one-time buyers*: at least :data:`MOSTLY_ONE_TIME` of the customers bought on one day
  only;
- *closed cohort*: fewer than :data:`CLOSED_COHORT_NEW` of the customers made their first
  purchase in the second half of the history (no new customers keep arriving);
- *no times of day*: every order is dated at midnight;
- *no yearly season*: fewer than :data:`SEASON_WEEKS` complete weeks of history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from crm_analysis import io
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.markup import Markup, md

__all__ = ["CLOSED_COHORT_NEW", "MOSTLY_ONE_TIME", "REPORT_NOTES", "SEASON_WEEKS", "DataProfile",
           "load", "notes", "profile_data"]

MOSTLY_ONE_TIME = 0.8
"""Share of one-time buyers from which a data set counts as mostly one-time buyers."""

CLOSED_COHORT_NEW = 0.05
"""Share of customers first seen in the second half of the history below which the customers
form a closed cohort."""

SEASON_WEEKS = 104
"""Complete weeks of history a yearly season needs (two cycles)."""


@dataclass(frozen=True)
class DataProfile:
    """The measured shape of the cleaned data at the snapshot (days are calendar days)."""

    snapshot: str
    first_day: str
    history_days: int
    orders: int
    guest_orders: int
    customers: int
    one_time_share: float
    first_purchase_span: tuple[str, str] | None
    new_in_second_half: float
    has_time_of_day: bool
    tables: list[str] = field(default_factory=list)
    currency: str | None = None
    has_amounts: bool = True

    @property
    def mostly_one_time(self) -> bool:
        return self.customers > 0 and self.one_time_share >= MOSTLY_ONE_TIME

    @property
    def closed_cohort(self) -> bool:
        return self.customers > 0 and self.new_in_second_half < CLOSED_COHORT_NEW

    @property
    def weeks(self) -> int:
        return self.history_days // DAYS_PER_WEEK

    @property
    def guest_share(self) -> float:
        return self.guest_orders / self.orders if self.orders else float("nan")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DataProfile:
        span = data.get("first_purchase_span")
        return cls(**{**data, "first_purchase_span": tuple(span) if span else None})


def profile_data(orders: pd.DataFrame, as_of: object, tables: list[str] | None = None,
                 currency: str | None = None) -> DataProfile:
    """Measure the shape of the cleaned orders up to ``as_of``.

    Parameters
    ----------
    orders : DataFrame
        Cleaned orders: ``customer_id`` (missing for guests), ``order_date``; with ``amount``,
        orders of zero or negative net amount are not purchases.
    as_of : date-like
        The last day analysed.
    tables : list of str, optional
        Names of the tables present.
    currency : str, optional
        ISO code of the amounts (the ``currency`` parameter or the mapping's ``currency:``).

    Returns
    -------
    DataProfile
    """
    snap = pd.Timestamp(as_of).normalize()
    dates = pd.to_datetime(orders["order_date"])
    keep = (dates < snap + pd.Timedelta(days=1)).to_numpy()
    orders, dates = orders[keep], dates[keep]
    known = orders["customer_id"].notna().to_numpy(copy=True)
    if "amount" in orders:
        known &= (orders["amount"].to_numpy(dtype=float) > 0)
    first = dates.min().normalize() if len(dates) else snap
    day = dates[known].dt.normalize()
    ids = orders.loc[known, "customer_id"]
    per_customer = (pd.DataFrame({"customer_id": ids.to_numpy(), "day": day.to_numpy()})
                    .groupby("customer_id", observed=True)["day"].agg(["min", "nunique"]))
    n = len(per_customer)
    middle = first + (snap - first) / 2
    span = None
    if n:
        lo, hi = per_customer["min"].quantile([0.05, 0.95])
        span = (f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}")
    return DataProfile(
        snapshot=f"{snap:%Y-%m-%d}", first_day=f"{first:%Y-%m-%d}",
        history_days=int((snap - first).days) + 1, orders=len(orders),
        guest_orders=int(orders["customer_id"].isna().sum()), customers=int(n),
        one_time_share=float((per_customer["nunique"] == 1).mean()) if n else float("nan"),
        first_purchase_span=span,
        new_in_second_half=float((per_customer["min"] > middle).mean()) if n else float("nan"),
        has_time_of_day=bool((dates != dates.dt.normalize()).any()),
        tables=sorted(tables or []), currency=currency,
        has_amounts="amount" in orders and bool(orders["amount"].notna().any()))


def load(directory: str | Path) -> DataProfile | None:
    """The profile notebook 01 wrote to ``directory`` (None when there is none)."""
    try:
        return DataProfile.from_dict(io.read_json("data_profile", directory))
    except FileNotFoundError:
        return None


REPORT_NOTES: dict[str, tuple[str, ...]] = {
    "cleaning": ("counts", "one_time", "closed", "season", "time", "guests", "currency"),
    "demand": ("closed", "season", "guests", "currency"),
    "value": ("one_time", "closed", "season", "currency"),
    "behaviour": ("one_time", "closed", "time", "guests", "currency"),
    "churn": ("one_time", "closed", "currency"),
    "potential": ("one_time", "closed", "currency"),
}
"""Which parts of the shape each report states in its opening."""


def notes(profile: DataProfile | None, report: str) -> list[Markup]:
    """The sentences about the data's shape that matter for ``report`` (a key of
    :data:`REPORT_NOTES`); none for an ordinary shape or without a profile."""
    if profile is None or not profile.orders:
        return []
    out = []
    for kind in REPORT_NOTES[report]:
        if kind == "counts":
            out.append(md("**{customers:,} customers** bought in the cleaned data: the count "
                          "every customer report starts from (the churn report scores those "
                          "still active). {orders:,} orders, {guests:,} of them without a "
                          "customer id; the demand report counts them all.",
                          customers=profile.customers, orders=profile.orders,
                          guests=profile.guest_orders))
        elif kind == "one_time" and profile.mostly_one_time:
            out.append(md("**{share:.0%} of customers bought only once.** Frequencies, repeat "
                          "rates and purchase models rest on the other {n:,} customers; a "
                          "customer's single order says little about what she will do next.",
                          share=profile.one_time_share,
                          n=round(profile.customers * (1 - profile.one_time_share))))
        elif kind == "closed" and profile.closed_cohort and profile.first_purchase_span:
            lo, hi = profile.first_purchase_span
            out.append(md("**A closed cohort**: 90% of the customers made their first purchase "
                          "between {lo:%d %b %Y} and {hi:%d %b %Y}, and almost none arrived in "
                          "the second half of the data. Changes over time show these customers "
                          "ageing, not the business growing or shrinking.",
                          lo=pd.Timestamp(lo), hi=pd.Timestamp(hi)))
        elif kind == "season" and profile.weeks < SEASON_WEEKS:
            out.append(md("**{weeks} weeks of history**: a yearly season needs two years, so "
                          "it cannot be told apart from trend here.", weeks=profile.weeks))
        elif kind == "time" and not profile.has_time_of_day:
            out.append(md("**Dates without times**: every order is dated at midnight, so "
                          "nothing can be said about the hour of the day."))
        elif kind == "guests" and np.isfinite(profile.guest_share) and profile.guest_share >= 0.05:
            out.append(md("**{share:.0%} of orders have no customer id** (guest orders): they "
                          "count in demand, not in the customer reports.",
                          share=profile.guest_share))
        elif kind == "currency" and profile.has_amounts:
            out.append(md("Amounts are in {code}.", code=profile.currency) if profile.currency
                       else md("Amounts are in the export's currency (neither the mapping nor "
                               "the currency parameter names it)."))
    return out
