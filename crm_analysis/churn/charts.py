"""Charts of the churn report in the project's look (:func:`crm_analysis.plots.set_theme`).

Each function takes a result frame and returns a titled, labelled matplotlib Figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from crm_analysis.churn.models import MODEL_LABELS
from crm_analysis.plots import FIGSIZE, chart

__all__ = ["auc_over_time", "calibration_plot", "importance_bars", "partial_dependence_plot"]


@chart
def calibration_plot(curve: pd.DataFrame, models: list[str] | None = None) -> Figure:
    """Observed churn rate against predicted probability per band, with 95% intervals."""
    fig, ax = plt.subplots(figsize=(6.0, 5.0))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for model in models or list(curve["model"].unique()):
        c = curve[curve["model"] == model]
        line, = ax.plot(c["predicted"], c["observed"], marker="o",
                        label=MODEL_LABELS.get(model, model))
        if "lower" in c:
            ax.fill_between(c["predicted"], c["lower"], c["upper"], alpha=0.15,
                            color=line.get_color())
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(title="Calibration on the latest test date", xlabel="predicted churn probability",
           ylabel="share who actually churned", xlim=(0, 1), ylim=(0, 1))
    ax.legend(loc="upper left", fontsize=9)
    return fig


@chart
def auc_over_time(by_cutoff: pd.DataFrame) -> Figure:
    """ROC-AUC of each model at each test date of the backtest."""
    frame = by_cutoff[by_cutoff["metric"] == "roc_auc"].assign(
        model=lambda t: t["model"].map(MODEL_LABELS).fillna(t["model"]))
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.lineplot(data=frame, x="test_cutoff", y="estimate", hue="model", marker="o", ax=ax)
    ax.set(title="ROC-AUC at each test date (trained on the dates before)", xlabel="test date",
           ylabel="ROC-AUC")
    ax.legend(title="", fontsize=9)
    fig.autofmt_xdate()
    return fig


@chart
def importance_bars(importance: pd.DataFrame, *, top: int = 8) -> Figure:
    """Permutation importance (drop in ROC-AUC) of the ``top`` features."""
    frame = importance.head(top)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.35 * len(frame) + 1.2))
    sns.barplot(data=frame, x="importance", y="label", hue="group", dodge=False, ax=ax,
                orient="h")
    ax.set(title="What the model relies on: drop in ROC-AUC when a feature is shuffled",
           xlabel="drop in ROC-AUC", ylabel="")
    ax.legend(title="feature group", loc="lower right", fontsize=9)
    return fig


@chart
def partial_dependence_plot(pdp: pd.DataFrame) -> Figure:
    """Average predicted churn probability against each feature's value (one panel each)."""
    labels = list(dict.fromkeys(pdp["label"]))
    fig, axes = plt.subplots(1, len(labels), figsize=(3.6 * len(labels), 3.4), squeeze=False,
                             sharey=True)
    for ax, label in zip(axes[0], labels, strict=True):
        d = pdp[pdp["label"] == label]
        ax.plot(d["value"], d["churn_probability"], marker=".")
        ax.set(title=label, xlabel="value", ylabel="")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes[0][0].set_ylabel("average churn probability")
    fig.suptitle("How churn risk changes with each top feature (others as they are)")
    fig.tight_layout()
    return fig


