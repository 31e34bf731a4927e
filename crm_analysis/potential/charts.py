"""Charts of the customer potential report; each returns its Figure (theme: crm_analysis.plots)."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from crm_analysis.plots import FIGSIZE, chart, thousands

__all__ = ["decile_calibration", "model_comparison", "positioning_grid", "potential_tiers",
           "profit_curves", "qini"]

_METRIC_LABELS = {"spearman": "rank correlation (Spearman)", "gini": "normalised Gini",
                  "top_decile_capture": "revenue share of the top 10%"}


@chart
def model_comparison(metrics: pd.DataFrame) -> Figure:
    """Bars of Spearman, normalised Gini and top-decile capture per model (higher is better)."""
    long = (metrics[["model", *_METRIC_LABELS]]
            .melt(id_vars="model", var_name="metric", value_name="score")
            .assign(metric=lambda t: t["metric"].map(_METRIC_LABELS)))
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.barplot(data=long, y="metric", x="score", hue="model", orient="h", ax=ax)
    for container in ax.containers:
        ax.bar_label(container, fmt="%.2f", padding=2, fontsize=8)
    ax.set(title="How well each model ranks next-period spend (holdout, higher is better)",
           xlabel="score (0 = random ranking, 1 = perfect)", ylabel="", xlim=(0, 1.1))
    ax.legend(title="", loc="lower right", fontsize=8)
    return fig


@chart
def decile_calibration(calibration: pd.DataFrame, names: Mapping[str, str]) -> Figure:
    """Per model: mean actual spend (bars) and mean prediction (line) by predicted decile."""
    models = list(names)
    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models) + 1, 3.4), sharey=True,
                             squeeze=False)
    for ax, key in zip(axes[0], models, strict=True):
        part = calibration[calibration["model"] == key]
        ax.bar(part["decile"], part["actual"], color="0.75", label="actual")
        ax.plot(part["decile"], part["predicted"], marker="o", color="#4c72b0",
                label="predicted")
        ax.set(title=names[key], xlabel="predicted decile (1 = highest)", xticks=range(1, 11))
        thousands(ax.yaxis)
    axes[0][0].set_ylabel("mean spend per customer")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Predicted against actual spend by predicted decile (holdout)",
                 fontweight="bold")
    fig.tight_layout()
    return fig


@chart
def potential_tiers(summary: pd.DataFrame) -> Figure:
    """Customers and upside (currency) per potential tier, side by side."""
    fig, axes = plt.subplots(1, 2, figsize=(FIGSIZE[0] + 2, 3.2))
    sns.barplot(data=summary, y="potential_tier", x="customers", ax=axes[0], orient="h",
                color="#4c72b0")
    sns.barplot(data=summary, y="potential_tier", x="upside", ax=axes[1], orient="h",
                color="#55a868")
    axes[0].set(title="Customers", xlabel="customers", ylabel="")
    axes[1].set(title="Upside over the next horizon", xlabel="currency", ylabel="")
    axes[1].set_yticklabels([])
    for ax in axes:
        thousands(ax.xaxis)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle("Potential tiers", fontweight="bold")
    fig.tight_layout()
    return fig


@chart
def positioning_grid(grid: pd.DataFrame) -> Figure:
    """Customers and predicted revenue per cell of the value x potential x risk grid."""
    label = ("value " + grid["value_level"] + " | potential " + grid["potential_level"]
             + " | risk " + grid["risk_level"] + "  ->  " + grid["action"].astype(str))
    frame = grid.assign(cell=label)
    fig, axes = plt.subplots(1, 2, figsize=(FIGSIZE[0] + 4, 4.2), sharey=True)
    palette = dict(zip(["retain", "grow", "nurture", "win back", "let go"],
                       sns.color_palette("deep", 5), strict=True))
    for ax, col, title in ((axes[0], "customers", "Customers"),
                           (axes[1], "predicted_value", "Predicted spend, next horizon")):
        sns.barplot(data=frame, y="cell", x=col, hue="action", palette=palette, dodge=False,
                    ax=ax, orient="h", legend=False)
        ax.set(title=title, xlabel="customers" if col == "customers" else "currency",
               ylabel="")
        thousands(ax.xaxis)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    fig.suptitle("Positioning grid: value x potential x churn risk", fontweight="bold")
    fig.tight_layout()
    return fig


@chart
def qini(curve: pd.DataFrame) -> Figure:
    """Qini curve against random targeting (held-out contacts)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(curve["share_targeted"], curve["incremental"], label="ranked by predicted uplift")
    ax.plot(curve["share_targeted"], curve["random"], linestyle="--", color="0.5",
            label="random order")
    ax.set(title="Qini curve: extra conversions when contacting the top share (held out)",
           xlabel="share of contacts targeted, highest predicted uplift first",
           ylabel="incremental conversions")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend()
    return fig


@chart
def profit_curves(curves: Mapping[str, pd.DataFrame], chosen: int | None = None) -> Figure:
    """Cumulative expected profit against the number contacted, one line per ranking."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    for name, curve in curves.items():
        ax.plot(curve["contacted"], curve["profit"], label=name)
    if chosen:
        ax.axvline(chosen, linestyle=":", color="0.3", label=f"chosen: {chosen:,} contacts")
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set(title="Expected incremental profit by number of customers contacted",
           xlabel="customers contacted", ylabel="expected profit (currency)")
    thousands(ax.xaxis)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(fontsize=8)
    return fig
