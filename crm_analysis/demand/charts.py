"""Charts of the demand report; each returns its matplotlib Figure in the project's theme.

Call :func:`crm_analysis.plots.set_theme` once first (the notebook does). Every chart has a
title and labelled axes; money is in the source's currency.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from crm_analysis.demand.seasonality import Decomposition
from crm_analysis.plots import FIGSIZE, chart, fit_band_axis, thousands

WIDE = (10.0, 4.5)


def _legend_right(ax) -> None:
    ax.legend(title="", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


@chart
def demand_over_time(table: pd.DataFrame, *, value: str = "revenue", by: str | None = None,
                     title: str, ylabel: str) -> Figure:
    """Lines of ``value`` per complete period, one per group (from ``aggregate``)."""
    t = table[table["complete"]]
    fig, ax = plt.subplots(figsize=WIDE)
    sns.lineplot(data=t, x="period", y=value, hue=by, ax=ax, linewidth=1.4,
                 marker="o" if t["period"].nunique() < 60 else None)
    ax.set(title=title, xlabel="", ylabel=ylabel)
    thousands(ax.yaxis)
    if by:
        _legend_right(ax)
    return fig


@chart
def stacked_area(table: pd.DataFrame, *, value: str = "revenue", by: str | None = None,
                 title: str, ylabel: str) -> Figure:
    """Stacked areas of ``value`` per complete period by group: the total and its mix at once."""
    t = table[table["complete"]]
    if by is None:
        return demand_over_time(table, value=value, title=title, ylabel=ylabel)
    wide = t.pivot_table(index="period", columns=by, values=value, observed=True,
                         aggfunc="sum")
    fig, ax = plt.subplots(figsize=WIDE)
    colors = sns.color_palette("tab10", wide.shape[1])
    ax.stackplot(wide.index, wide.T.to_numpy(), labels=[str(c) for c in wide.columns],
                 colors=colors, alpha=0.85, linewidth=0)
    ax.set(title=title, xlabel="", ylabel=ylabel, xlim=(wide.index.min(), wide.index.max()))
    thousands(ax.yaxis)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="", loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


@chart
def change_bars(frame: pd.DataFrame, *, value: str, label: str, title: str,
                xlabel: str) -> Figure:
    """Horizontal bars of a relative change (0.1 = +10 %), green up and red down."""
    f = frame.dropna(subset=[value]).sort_values(value)
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.5, 0.4 * len(f) + 1)))
    colors = np.where(f[value] >= 0, "#4c9a5b", "#c0504d")
    ax.barh(f[label].astype(str), f[value], color=colors)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(title=title, xlabel=xlabel, ylabel="")
    return fig


@chart
def movers_chart(movers: pd.DataFrame, *, title: str, xlabel: str) -> Figure:
    """Horizontal bars of the change of each top mover (label: product and category)."""
    m = movers.copy()
    m["label"] = m["product_id"].astype(str) + (
        " (" + m["category"].astype(str) + ")" if "category" in m else "")
    m = m.sort_values("change")
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.5, 0.35 * len(m) + 1)))
    ax.barh(m["label"], m["change"], color=np.where(m["change"] >= 0, "#4c9a5b", "#c0504d"))
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set(title=title, xlabel=xlabel, ylabel="")
    thousands(ax.xaxis)
    return fig


@chart
def profile_bars(frame: pd.DataFrame, *, label: str, value: str, title: str,
                 xlabel: str = "", ylabel: str = "against average") -> Figure:
    """Vertical bars of a seasonal effect in percent (0.1 = +10 %), in the frame's order."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    colors = np.where(frame[value] >= 0, "#4c9a5b", "#c0504d")
    ax.bar(frame[label].astype(str), frame[value], color=colors)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig


@chart
def decomposition_chart(dec: Decomposition, *, title: str,
                        ylabel: str = "revenue per week") -> Figure:
    """Observed with trend, season and remainder (percent when the decomposition is on logs)."""
    f = dec.frame
    fig, axes = plt.subplots(3, 1, figsize=(WIDE[0], 7.5), sharex=True,
                             gridspec_kw={"height_ratios": [2, 1, 1]})
    trend = np.exp(f["trend"]) if dec.log else f["trend"]
    axes[0].plot(f["period"], f["observed"], color="0.55", linewidth=1, label="observed")
    axes[0].plot(f["period"], trend, color="C0", linewidth=2, label="trend")
    axes[0].set(title=title, ylabel=ylabel)
    thousands(axes[0].yaxis)
    axes[0].legend(frameon=False, loc="upper left")
    for ax, col, words in ((axes[1], "season", f"season (strength {dec.seasonal_strength:.2f})"),
                           (axes[2], "remainder", "remainder")):
        values = np.expm1(f[col]) if dec.log else f[col]
        ax.plot(f["period"], values, color="C1" if col == "season" else "C2", linewidth=1.2)
        ax.axhline(0, color="0.3", linewidth=0.8)
        ax.set(ylabel=words if col == "remainder" else "season")
        ax.set_title(words, fontsize="small", loc="left")
        if dec.log:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes[0].set_title(f"trend (strength {dec.trend_strength:.2f})", fontsize="small",
                      loc="left")
    return fig


@chart
def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, *, title: str,
                   ylabel: str = "revenue per week", weeks_shown: int = 78,
                   ncols: int = 3) -> Figure:
    """Small multiples: recent weekly history, the forecast and its 80 % and 95 % ranges.

    Parameters
    ----------
    history : DataFrame
        Complete weeks as rows, one column per series (as forecast).
    forecast : DataFrame
        From :func:`crm_analysis.demand.forecast` (``series``, ``period``, ``forecast``,
        ``lower_80`` ... ``upper_95``).
    """
    names = list(history.columns)
    ncols = min(ncols, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.8 * nrows + 0.6),
                             squeeze=False, sharex=True)
    for ax, name in zip(axes.ravel(), names, strict=False):
        h = history[name].iloc[-weeks_shown:]
        f = forecast[forecast["series"] == name]
        ax.plot(h.index, h.to_numpy(), color="0.35", linewidth=1.1, label="actual")
        ax.fill_between(f["period"], f["lower_95"], f["upper_95"], color="C0", alpha=0.15,
                        label="95 % range")
        ax.fill_between(f["period"], f["lower_80"], f["upper_80"], color="C0", alpha=0.3,
                        label="80 % range")
        ax.plot(f["period"], f["forecast"], color="C0", linewidth=1.8, label="forecast")
        ax.set_title(str(name), fontsize="medium")
        top = max(float(np.nanmax(h.to_numpy(dtype=float), initial=0.0)),
                  float(f["forecast"].max()) if len(f) else 0.0)
        fit_band_axis(ax, top, float(f["upper_95"].max()) if len(f) else 0.0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
        ax.tick_params(axis="x", labelrotation=0, labelsize="small")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=4, frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    fig.suptitle(title, y=1.04)
    fig.tight_layout()
    return fig


@chart
def mase_chart(scores: pd.DataFrame, *, title: str) -> Figure:
    """Grouped bars of the backtest MASE of every candidate method per series.

    ``scores``: ``series``, ``method`` (words) and ``MASE``
    (:func:`crm_analysis.demand.method_scores`).
    """
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(3.0, 0.3 * len(scores) + 1)))
    sns.barplot(data=scores, y="series", x="MASE", hue="method", ax=ax, orient="h")
    ax.axvline(1, color="0.3", linewidth=0.8, linestyle="--")
    ax.set(title=title, xlabel="MASE (lower is better; 1 = the naive rule's error in the "
           "training weeks)", ylabel="")
    _legend_right(ax)
    return fig


SHARE_INDEX_SATURATES = 0.5
"""The share heatmap's colours reach full strength no sooner than at an index of 0.5 or 1.5
(a group buying a category half or one and a half times as often as all customers): 11%
against 13% is a pale tint, not red against blue."""


@chart
def share_heatmap(shares: pd.DataFrame, index: pd.DataFrame, *, title: str,
                  ylabel: str) -> Figure:
    """Category shares per group as a heatmap: text = share, colour = index against all.

    Parameters
    ----------
    shares, index : DataFrame
        Groups as rows, categories as columns (:func:`crm_analysis.demand.share_matrix` with
        ``column="share"`` and ``"index"``).
    """
    fig, ax = plt.subplots(figsize=(max(FIGSIZE[0], 1.1 * shares.shape[1] + 2),
                                    max(2.5, 0.5 * shares.shape[0] + 1.5)))
    spread = float(np.nanmax(np.abs(index.to_numpy(dtype=float) - 1))) if index.size else 0.0
    limit = max(spread, SHARE_INDEX_SATURATES)
    sns.heatmap(index, annot=shares.map(lambda v: f"{v:.0%}" if pd.notna(v) else ""),
                fmt="", cmap="RdBu_r", center=1.0, vmin=max(0.0, 1 - limit), vmax=1 + limit,
                linewidths=0.5, ax=ax,
                cbar_kws={"label": "vs all customers (1 = same)"})
    ax.set(title=title, xlabel="category", ylabel=ylabel)
    ax.tick_params(axis="x", labelrotation=30)
    ax.tick_params(axis="y", labelrotation=0)
    return fig


@chart
def ticket_rates_chart(rates: pd.DataFrame, *, title: str) -> Figure:
    """Lines of tickets per 1,000 orders per month, one per ticket type."""
    fig, ax = plt.subplots(figsize=WIDE)
    sns.lineplot(data=rates, x="month", y="per_1000_orders", hue="type", ax=ax, marker="o")
    ax.set(title=title, xlabel="", ylabel="tickets per 1,000 orders", ylim=(0, None))
    _legend_right(ax)
    return fig
