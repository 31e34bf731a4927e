"""Charts of the behaviour report in the project's look (:func:`crm_analysis.plots.set_theme`).

Each function takes a result frame and returns a titled, labelled matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from crm_analysis.plots import FIGSIZE, PALETTE, chart, thousands

__all__ = ["ab_forest", "cohort_heatmap", "correlation_heatmap", "effect_forest", "funnel",
           "gap_histogram", "second_purchase", "share_lines",
           "silhouette_curve", "weekly_heatmap"]


@chart
def cohort_heatmap(matrix: pd.DataFrame, *, title: str, fmt: str = ".0%",
                   cbar_label: str = "") -> Figure:
    """Cohort triangle (rows cohorts, columns months since acquisition)."""
    fig, ax = plt.subplots(figsize=(11, max(4.0, 0.3 * len(matrix) + 1.5)))
    annot = matrix.shape[1] <= 13
    later = matrix.loc[:, [c for c in matrix.columns if c != 0]].to_numpy(float)
    vmax = float(np.nanquantile(later, 0.99)) if np.isfinite(later).any() else None
    sns.heatmap(matrix, cmap=PALETTE, annot=annot, fmt=fmt, annot_kws={"size": 7}, ax=ax,
                vmin=0, vmax=vmax, cbar_kws={"label": f"{cbar_label} (month 0 off the scale)"})
    ax.set(title=title, xlabel="months since first purchase", ylabel="cohort (first month)")
    return fig


@chart
def second_purchase(curve: pd.DataFrame) -> Figure:
    """Share of customers with a second purchase within t days (Kaplan-Meier)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(curve["days"], curve["share_repeated"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title="Time to the second purchase", xlabel="days after the first purchase",
           ylabel="customers with a 2nd purchase")
    return fig


@chart
def gap_histogram(gaps: pd.DataFrame, quantiles: pd.DataFrame) -> Figure:
    """Histogram of days between purchases (log scale) with the 80th and 90th percentiles."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.histplot(gaps["gap_days"], log_scale=True, bins=50, ax=ax)
    for q, style in ((0.8, "--"), (0.9, ":")):
        row = quantiles[np.isclose(quantiles["quantile"], q)]
        if len(row):
            ax.axvline(row["days"].iloc[0], color="black", linestyle=style,
                       label=f"{q:.0%} of gaps shorter than {row['days'].iloc[0]:,.0f} days")
    ax.legend()
    ax.set(title="Days between purchases", xlabel="days (log scale)", ylabel="gaps")
    thousands(ax.yaxis)
    return fig


@chart
def share_lines(frame: pd.DataFrame, *, x: str, y: str, hue: str, title: str,
                ylabel: str, percent: bool = True) -> Figure:
    """Lines per category over time (e.g. channel shares, ticket volumes)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.lineplot(data=frame, x=x, y=y, hue=hue, ax=ax)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        thousands(ax.yaxis)
    ax.set(title=title, xlabel="", ylabel=ylabel)
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1, 1))
    fig.autofmt_xdate()
    return fig


@chart
def weekly_heatmap(profile: pd.DataFrame) -> Figure:
    """Share of orders by weekday and hour (by weekday only when the data has no times)."""
    hours = profile.shape[1] > 1
    fig, ax = plt.subplots(figsize=(11, 3.5) if hours else (5, 3.5))
    sns.heatmap(profile, cmap=PALETTE, ax=ax, annot=not hours, fmt=".1%",
                cbar_kws={"label": "share of orders", "format": PercentFormatter(1.0, 1)})
    ax.set(title="When customers order (weekday x hour)" if hours else
           "When customers order (weekday; the data has no times of day)",
           xlabel="hour of day" if hours else "", ylabel="")
    return fig


@chart
def funnel(funnel_long: pd.DataFrame) -> Figure:
    """Funnel rates per campaign with Wilson intervals."""
    data = funnel_long[funnel_long["stage"] != "sent"].copy()
    data["stage"] = data["stage"].astype(str)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(3.0, 0.35 * data["campaign_id"].nunique()
                                                    + 1.5)))
    stages = list(dict.fromkeys(data["stage"]))
    ids = list(dict.fromkeys(data["campaign_id"]))
    height = 0.8 / len(stages)
    for i, stage in enumerate(stages):  # three stages
        part = data[data["stage"] == stage].set_index("campaign_id").reindex(ids)
        pos = np.arange(len(ids)) + i * height
        ax.barh(pos, part["rate"], height=height, label=stage,
                xerr=[(part["rate"] - part["rate_lo"]).clip(lower=0),
                      (part["rate_hi"] - part["rate"]).clip(lower=0)],
                error_kw={"elinewidth": 0.8})
    names = data.drop_duplicates("campaign_id").set_index("campaign_id")["name"] if (
        "name" in data) else pd.Series(ids, index=ids)
    ax.set_yticks(np.arange(len(ids)) + height * (len(stages) - 1) / 2,
                  [str(names.get(i, i)) for i in ids])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title="Campaign funnel: share of contacts sent (95% intervals)",
           xlabel="share of contacts sent", ylabel="")
    ax.legend(title="", loc="lower right")
    return fig


@chart
def ab_forest(ab: pd.DataFrame, *, value: str = "uplift", label: str = "name",
              title: str = "Conversion uplift, treatment minus control (95% intervals)",
              xlabel: str = "difference in conversion", percent: bool = True) -> Figure:
    """Point estimate and interval per row (campaigns and the pooled row)."""
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(3.0, 0.4 * len(ab) + 1.2)))
    y = np.arange(len(ab))
    err = [(ab[value] - ab[f"{value}_lo"]).clip(lower=0),
           (ab[f"{value}_hi"] - ab[value]).clip(lower=0)]
    ax.errorbar(ab[value], y, xerr=err, fmt="o", capsize=3)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_yticks(y, ab[label])
    ax.invert_yaxis()
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, 0))
    ax.set(title=title, xlabel=xlabel, ylabel="")
    return fig


@chart
def effect_forest(table: pd.DataFrame) -> Figure:
    """Adjusted relative change in later purchasing per service exposure."""
    labels = table["exposure"].str.replace("_", " ")
    return ab_forest(table.assign(label=labels), value="relative_change", label="label",
                     title="Change in later purchasing after a service event (95% intervals)",
                     xlabel="relative change in purchase days that follow")


@chart
def silhouette_curve(sil: pd.DataFrame, k: int) -> Figure:
    """Mean silhouette per k with the chosen k marked."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(sil["k"], sil["silhouette"], marker="o")
    ax.axvline(k, color="grey", linestyle="--", label=f"chosen: {k} groups")
    ax.legend()
    ax.set(title="How well separated the groups are, by number of groups",
           xlabel="number of groups (k)", ylabel="mean silhouette (higher is better)")
    return fig


@chart
def correlation_heatmap(matrix: pd.DataFrame, *, title: str) -> Figure:
    """Correlation matrix, -1..1, annotated."""
    fig, ax = plt.subplots(figsize=(7, 5.5))
    sns.heatmap(matrix, vmin=-1, vmax=1, cmap="vlag", annot=True, fmt=".2f", ax=ax,
                cbar_kws={"label": "correlation"})
    ax.set(title=title)
    return fig
