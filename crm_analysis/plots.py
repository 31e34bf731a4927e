"""One seaborn theme and the chart functions the notebooks use; each returns its Figure.

Every chart has a title and labelled axes, so it reads without the code; the report's HTML
export gives each figure alt text from the section heading above it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

PALETTE = "crest"
FIGSIZE = (8.0, 4.0)


def set_theme() -> None:
    """The project's one look: seaborn's whitegrid, readable font sizes, no top/right spines."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep",
                  rc={"axes.spines.top": False, "axes.spines.right": False,
                      "figure.dpi": 100, "savefig.bbox": "tight"})


def thousands(ax_axis) -> None:
    """Format an axis with thousands separators (1,234,567)."""
    ax_axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def horizontal_bars(frame: pd.DataFrame, *, value: str, label: str, title: str,
                    xlabel: str, hue: str | None = None) -> Figure:
    """Horizontal bars of ``value`` per ``label`` (largest at the top)."""
    n_labels = frame[label].nunique()
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.5, 0.35 * n_labels + 1)))
    sns.barplot(data=frame, x=value, y=label, hue=hue, ax=ax, orient="h")
    ax.set(title=title, xlabel=xlabel, ylabel="")
    thousands(ax.xaxis)
    if hue:
        ax.legend(title="", loc="lower right")
    return fig


def distribution_before_after(before: pd.Series, after: pd.Series, *, title: str, xlabel: str,
                              log_scale: bool = False) -> Figure:
    """Histograms of one measure before and after a step (e.g. cleaning), on shared bins."""
    values = pd.DataFrame({
        "value": pd.concat([before, after], ignore_index=True).astype("float64"),
        "stage": ["before"] * len(before) + ["after"] * len(after),
    }).dropna()
    if log_scale:
        values = values[values["value"] > 0]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.histplot(data=values, x="value", hue="stage", element="step", fill=False,
                 log_scale=log_scale, bins=50, ax=ax, stat="count", common_bins=True)
    ax.set(title=title, xlabel=xlabel, ylabel="rows")
    thousands(ax.yaxis)
    return fig


def time_series(frame: pd.DataFrame, *, x: str, y: str, title: str, ylabel: str,
                hue: str | None = None) -> Figure:
    """Lines over time (e.g. orders per month before and after cleaning)."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.lineplot(data=frame, x=x, y=y, hue=hue, ax=ax, marker="o" if len(frame) < 60 else None)
    ax.set(title=title, xlabel="", ylabel=ylabel)
    thousands(ax.yaxis)
    if hue:
        ax.legend(title="")
    fig.autofmt_xdate()
    return fig


def share(value: float) -> str:
    """A share as text for findings: 0.0312 -> '3.1%'."""
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.1%}"
