"""What customers need: category preferences by customer group, and what service tickets raise.

Preferences are revenue shares: within each group (a region, an acquisition channel, an RFM
segment) the share of the group's revenue that goes to each category, and the *index* of that
share against all customers (1.2 = the group spends a 20 % larger share on the category than
customers overall). Guest orders have no customer and count only in the overall shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_analysis.demand.aggregate import period_start
from crm_analysis.keys import positions


def category_shares(lines: pd.DataFrame, groups: pd.DataFrame, *, by: str,
                    value: str = "revenue") -> pd.DataFrame:
    """Share of each group's demand per category, and its index against all customers.

    Parameters
    ----------
    lines : DataFrame
        Order lines with ``customer_id``, ``category`` and ``value``
        (:func:`crm_analysis.demand.demand_lines`).
    groups : DataFrame
        One row per customer: ``customer_id`` and the group column ``by``.
    by : str
        Group column, e.g. ``"region"``, ``"acquisition_channel"``, ``"segment"``.
    value : str
        Measure shared out (``"revenue"``, currency; or ``"quantity"``, units).

    Returns
    -------
    DataFrame
        ``group``, ``category``, ``value`` (sum), ``share`` (of the group's total, 0..1),
        ``index`` (share / overall share) and ``customers`` (buying customers in the group).
        Group order follows ``groups[by]`` when it is categorical.
    """
    mapping = groups.drop_duplicates("customer_id")
    customer = positions(lines["customer_id"], pd.Index(mapping["customer_id"]))
    group_codes, group_labels = pd.factorize(mapping[by])  # a missing group: -1
    group = np.where(customer >= 0, group_codes[np.maximum(customer, 0)], -1)
    known = group >= 0
    category = pd.Categorical(lines["category"])
    frame = pd.DataFrame({"group": group[known], "category": category.codes[known],
                          "value": lines[value].to_numpy(dtype="float64")[known],
                          "customer": customer[known]})
    totals = frame.groupby(["group", "category"])["value"].sum().reset_index()
    buyers = frame.groupby("group")["customer"].nunique()
    totals["group"] = group_labels.take(totals["group"].to_numpy())
    totals["category"] = category.categories.take(totals["category"].to_numpy())
    buyers.index = group_labels.take(buyers.index.to_numpy())
    overall = lines.groupby("category", observed=True)[value].sum()
    return shares_table(totals, buyers, overall, groups[by].dtype)


def shares_table(totals: pd.DataFrame, buyers: pd.Series, overall: pd.Series,
                 group_dtype: object = None) -> pd.DataFrame:
    """Shares and indices from the sums (shared by every engine).

    Parameters
    ----------
    totals : DataFrame
        ``group``, ``category``, ``value``: demand per group and category.
    buyers : Series
        Distinct buying customers per group.
    overall : Series
        Demand per category of all lines (guests included).
    group_dtype : dtype, optional
        The grouping column's dtype; a categorical one sets the order of the groups.

    Returns
    -------
    DataFrame
        As :func:`category_shares`.
    """
    out = totals[["group", "category", "value"]].copy()
    out["value"] = out["value"].astype("float64").fillna(0.0)
    out["share"] = out["value"] / out.groupby("group", observed=True)["value"].transform("sum")
    overall = overall.astype("float64").fillna(0.0)
    out["index"] = out["share"] / out["category"].map(overall / overall.sum()).astype(float)
    out["customers"] = out["group"].map(buyers).astype(np.int64)
    if isinstance(group_dtype, pd.CategoricalDtype):
        out["group"] = pd.Categorical(out["group"], categories=group_dtype.categories)
    return out.sort_values(["group", "category"], ignore_index=True)


def share_matrix(shares: pd.DataFrame, *, column: str = "share") -> pd.DataFrame:
    """Groups as rows, categories as columns (for a heatmap) from :func:`category_shares`."""
    wide = shares.pivot_table(index="group", columns="category", values=column,
                              observed=True, aggfunc="sum")
    return wide.rename_axis(index=None, columns=None)


def ticket_topics(tickets: pd.DataFrame, *, months: int = 6,
                  as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Tickets per type and topic, and how the recent months compare with the months before.

    Parameters
    ----------
    tickets : DataFrame
        ``opened_at``, ``type`` and ``topic`` (missing topics count as "not given").
    months : int
        Length of the recent and the earlier window (months).
    as_of : date-like, optional
        Last day analysed (default: the last ticket); later tickets are left out.

    Returns
    -------
    DataFrame
        ``type``, ``topic``, ``tickets`` (all time), ``share_of_type`` (0..1), ``recent`` and
        ``earlier`` (tickets in the last ``months`` and the ``months`` before) and ``change``
        (relative, NaN when earlier is 0); sorted by type, then tickets.
    """
    end = (pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1) if as_of is not None
           else tickets["opened_at"].max())
    t = tickets[tickets["opened_at"] < end]
    topic = t["topic"].fillna("not given") if "topic" in t else pd.Series("not given",
                                                                          index=t.index)
    recent_start = end - pd.DateOffset(months=months)
    earlier_start = recent_start - pd.DateOffset(months=months)
    frame = pd.DataFrame({
        "type": t["type"].fillna("not given").to_numpy(), "topic": topic.to_numpy(),
        "recent": (t["opened_at"] >= recent_start).to_numpy(),
        "earlier": ((t["opened_at"] >= earlier_start) & (t["opened_at"] < recent_start))
        .to_numpy()})
    out = frame.groupby(["type", "topic"]).agg(
        tickets=("recent", "size"), recent=("recent", "sum"), earlier=("earlier", "sum"))
    out = out.reset_index()
    out["share_of_type"] = out["tickets"] / out.groupby("type")["tickets"].transform("sum")
    out["change"] = out["recent"] / out["earlier"].where(out["earlier"] > 0) - 1
    return (out.sort_values(["type", "tickets"], ascending=[True, False], ignore_index=True)
            [["type", "topic", "tickets", "share_of_type", "recent", "earlier", "change"]])


def tickets_per_orders(tickets: pd.DataFrame, monthly: pd.DataFrame) -> pd.DataFrame:
    """Tickets per 1,000 orders per calendar month and ticket type.

    A growing business gets more tickets; per 1,000 orders shows whether service got better.

    Parameters
    ----------
    tickets : DataFrame
        ``opened_at`` and ``type``.
    monthly : DataFrame
        Overall monthly demand from :func:`crm_analysis.demand.aggregate` (``freq="M"``,
        ``by=None``); only its complete months are used.

    Returns
    -------
    DataFrame
        ``month``, ``type``, ``tickets``, ``orders`` and ``per_1000_orders``.
    """
    months = monthly.loc[monthly["complete"], ["period", "orders"]]
    month = pd.DatetimeIndex(period_start(tickets["opened_at"], "M").astype("datetime64[ns]"))
    counts = (pd.DataFrame({"month": month, "type": tickets["type"].fillna("not given").array})
              .groupby(["month", "type"]).size().rename("tickets").reset_index())
    out = counts.merge(months.rename(columns={"period": "month"}), on="month", how="inner")
    out["per_1000_orders"] = 1000 * out["tickets"] / out["orders"].where(out["orders"] > 0)
    return out
