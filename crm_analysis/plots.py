"""One seaborn theme and the chart functions the notebooks use; each returns its Figure.

Every chart has a title and labelled axes, so it reads without the code; the report's HTML
export gives each figure alt text from the section heading above it. Chart functions are wrapped
in :func:`chart`, which shortens tick labels and legend entries from the data (a 500-character
category name would otherwise shrink the whole figure to a sliver on the page).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, PercentFormatter

PALETTE = "crest"
FIGSIZE = (8.0, 4.0)
LABEL_CHARS = 40
"""Longest tick label or legend entry drawn in full; longer ones end in an ellipsis."""

_P = ParamSpec("_P")


def short_label(text: object, width: int = LABEL_CHARS) -> str:
    """``text`` (as a string) cut to ``width`` characters, the last one an ellipsis when it was
    longer."""
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


class _ShortLabels(Formatter):
    """Delegates to the axis's own formatter, then shortens what it returns."""

    def __init__(self, inner: Formatter, width: int) -> None:
        self.inner, self.width = inner, width

    def __call__(self, x, pos=None) -> str:
        return short_label(self.inner(x, pos), self.width)

    def format_ticks(self, values) -> list[str]:
        return [short_label(t, self.width) for t in self.inner.format_ticks(values)]

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def get_offset(self) -> str:
        return self.inner.get_offset()

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)


def shorten_labels(fig: Figure, width: int = LABEL_CHARS) -> Figure:
    """Shorten the tick labels and legend entries of every axes of ``fig`` to ``width``
    characters (titles and axis labels are ours and kept)."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if not isinstance(formatter, _ShortLabels):
                axis.set_major_formatter(_ShortLabels(formatter, width))
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    for legend in filter(None, legends):
        for text in legend.get_texts():
            text.set_text(short_label(text.get_text(), width))
    return fig


def chart(function: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Decorator of the chart functions: the Figure they return gets :func:`shorten_labels`."""

    @functools.wraps(function)
    def draw(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        return shorten_labels(function(*args, **kwargs))

    return draw


def set_theme() -> None:
    """The project's one look: seaborn's whitegrid, readable font sizes, no top/right spines."""
    sns.set_theme(style="whitegrid", context="notebook", palette="deep",
                  rc={"axes.spines.top": False, "axes.spines.right": False,
                      "figure.dpi": 100, "savefig.bbox": "tight"})


def _tick(value: float) -> str:
    if abs(value) >= 10 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def thousands(ax_axis) -> None:
    """Format an axis with thousands separators (1,234,567); ticks below ten keep up to two
    decimals, so an axis from 0 to 1 does not read 0, 0, 0, 1."""
    ax_axis.set_major_formatter(FuncFormatter(lambda v, _: _tick(v)))


BAND_HEADROOM = 1.25
"""A forecast chart's axis reaches 25% above the highest actual or forecast value; a range that
goes further is clipped there (a wide band must not flatten the history into a line)."""


def fit_band_axis(ax, top: float, band_top: float) -> bool:
    """Set the y-axis of a forecast chart from 0 to ``top`` x :data:`BAND_HEADROOM`, where
    ``top`` is the highest actual or forecast value; when the band (``band_top``) reaches
    higher, say so in the corner. Returns whether the band was clipped."""
    limit = max(float(top), 0.0) * BAND_HEADROOM or 1.0
    ax.set_ylim(0, limit)
    clipped = bool(np.isfinite(band_top) and band_top > limit)
    if clipped:
        ax.text(0.99, 0.97, "range clipped at the top", transform=ax.transAxes, ha="right",
                va="top", fontsize=8, color="#57606a")
    return clipped


@chart
def horizontal_bars(frame: pd.DataFrame, *, value: str, label: str, title: str,
                    xlabel: str, hue: str | None = None, percent: bool = False) -> Figure:
    """Horizontal bars of ``value`` per ``label`` (largest at the top); ``percent`` reads the
    values as shares (0.25 is 25%)."""
    n_labels = frame[label].nunique()
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], max(2.5, 0.35 * n_labels + 1)))
    sns.barplot(data=frame, x=value, y=label, hue=hue, ax=ax, orient="h")
    ax.set(title=title, xlabel=xlabel, ylabel="")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        thousands(ax.xaxis)
    if hue:
        ax.legend(title="", loc="lower right")
    return fig


HISTOGRAM_BINS = 50
"""Bins of :func:`distribution_before_after`."""


def binned_before_after(before: pd.Series, after: pd.Series, *, log_scale: bool = False,
                        bins: int = HISTOGRAM_BINS) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Counts of two measures on shared equal-width bins, as seaborn would bin them.

    Missing and infinite values are left out, and on a log scale values at or below zero;
    the bins span the remaining values (of both stages), in ``log10`` units on a log scale.

    Returns
    -------
    binned : DataFrame
        ``value`` (the bin's centre, in the values' units), ``rows`` (how many values fall in
        the bin) and ``stage`` (``before``/``after``): one row per bin of each stage that has
        values.
    edges : numpy.ndarray or None
        The ``bins + 1`` bin edges (``log10`` units on a log scale); None without any value.
    """
    parts = {}
    for stage, series in (("before", before), ("after", after)):
        values = pd.Series(series).astype("float64").to_numpy(na_value=np.nan)
        values = values[np.isfinite(values)]
        if log_scale:
            values = np.log10(values[values > 0])
        if len(values):
            parts[stage] = values
    if not parts:
        return pd.DataFrame({"value": pd.Series(dtype="float64"),
                             "rows": pd.Series(dtype="float64"),
                             "stage": pd.Series(dtype="string")}), None
    low = min(float(v.min()) for v in parts.values())
    high = max(float(v.max()) for v in parts.values())
    edges = np.histogram_bin_edges(np.array([low, high]), bins=bins)
    centres = edges[:-1] + np.diff(edges) / 2
    frames = []
    for stage, values in parts.items():
        counts, _ = np.histogram(values, bins=bins, range=(edges[0], edges[-1]))
        frames.append(pd.DataFrame({"value": 10.0 ** centres if log_scale else centres,
                                    "rows": counts.astype("float64"), "stage": stage}))
    return pd.concat(frames, ignore_index=True), edges


@chart
def distribution_before_after(before: pd.Series, after: pd.Series, *, title: str, xlabel: str,
                              log_scale: bool = False) -> Figure:
    """Histograms of one measure before and after a step (e.g. cleaning), on shared bins.

    The values are counted here (:func:`binned_before_after`) and seaborn draws the counts: the
    same chart as handing seaborn every value, without its long-form copies of millions of them
    (about 1.8 GB for the 15M order amounts of a million customers).
    """
    binned, edges = binned_before_after(before, after, log_scale=log_scale)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.histplot(data=binned, x="value", weights="rows", hue="stage", element="step",
                 fill=False, log_scale=log_scale, ax=ax,
                 bins=edges.tolist() if edges is not None else HISTOGRAM_BINS,
                 stat="count", common_bins=True)
    ax.set(title=title, xlabel=xlabel, ylabel="rows")
    thousands(ax.yaxis)
    return fig


@chart
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


# -- customer value (notebook 03) ------------------------------------------------------------
@chart
def lorenz(curve: pd.DataFrame, *, gini: float | None = None,
           title: str = "Lorenz curve of revenue across customers") -> Figure:
    """Lorenz curve (``customer_share``, ``revenue_share`` from ``value.lorenz_curve``).

    The diagonal is perfect equality; the further the curve sags below it, the more revenue
    comes from few customers. The Gini coefficient, if given, is shown in the legend.
    """
    fig, ax = plt.subplots(figsize=(5.5, 5.0))
    label = "customers" if gini is None else f"customers (Gini {gini:.2f})"
    ax.plot(curve["customer_share"], curve["revenue_share"], label=label)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect equality")
    ax.set(title=title, xlabel="share of customers (smallest spenders first)",
           ylabel="cumulative share of revenue", xlim=(0, 1), ylim=(0, 1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(loc="upper left")
    return fig


@chart
def segment_bars(summary: pd.DataFrame, *, title: str = "RFM segments: customers and revenue"
                 ) -> Figure:
    """Share of customers and share of revenue per segment (``value.segment_summary``; the
    customers alone for a log without amounts)."""
    shares = [c for c in ("customer_share", "revenue_share") if c in summary]
    long = summary.melt(id_vars="segment", value_vars=shares,
                        var_name="measure", value_name="share")
    long["measure"] = long["measure"].map({"customer_share": "share of customers",
                                           "revenue_share": "share of revenue"})
    fig, ax = plt.subplots(figsize=(FIGSIZE[0], 0.45 * summary["segment"].nunique() + 1.2))
    sns.barplot(data=long, x="share", y="segment", hue="measure", ax=ax, orient="h")
    ax.set(title=title, xlabel="share", ylabel="")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(title="", loc="lower right")
    return fig


@chart
def predicted_vs_actual(frame: pd.DataFrame, *, x: str, columns: list[str], title: str,
                        xlabel: str, ylabel: str, bars: bool = False) -> Figure:
    """Actual and model values side by side over categories (holdout and histogram checks).

    Parameters
    ----------
    frame : DataFrame
        One row per category in ``x``; ``columns`` are the series (e.g. actual, BG/NBD).
    bars : bool, default False
        Grouped bars (counts, e.g. the period-transactions histogram) instead of lines.
    """
    long = frame.melt(id_vars=x, value_vars=columns, var_name="series", value_name="value")
    long[x] = long[x].astype(str)
    fig, ax = plt.subplots(figsize=FIGSIZE)
    if bars:
        sns.barplot(data=long, x=x, y="value", hue="series", ax=ax)
    else:
        sns.lineplot(data=long, x=x, y="value", hue="series", style="series", markers=True,
                     dashes=False, ax=ax, sort=False)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if bars:
        thousands(ax.yaxis)
    ax.legend(title="")
    return fig


@chart
def tracking_plot(frame: pd.DataFrame, *, calibration_end: object, cumulative: bool = False,
                  title: str | None = None) -> Figure:
    """Weekly (or cumulative) repeat purchases, actual vs expected (``value.tracking``).

    A dashed vertical line marks the end of the calibration period; to its right the model
    predicts weeks it has not seen.
    """
    cols = (["actual_cumulative", "expected_cumulative"] if cumulative
            else ["actual", "expected"])
    fig, ax = plt.subplots(figsize=FIGSIZE)
    ax.plot(frame["week_end"], frame[cols[0]], label="actual")
    ax.plot(frame["week_end"], frame[cols[1]], label="expected (model)", linestyle="--")
    ax.axvline(pd.Timestamp(calibration_end), color="grey", linestyle=":",
               label="end of calibration")
    kind = "Cumulative" if cumulative else "Weekly"
    ax.set(title=title or f"{kind} repeat purchases: actual vs expected", xlabel="",
           ylabel="repeat purchases" + (" (cumulative)" if cumulative else " per week"))
    thousands(ax.yaxis)
    ax.legend(title="")
    fig.autofmt_xdate()
    return fig


@chart
def clv_histogram(clv: pd.Series, *, title: str = "Customer lifetime value, next 12 months",
                  xlabel: str = "CLV (present value, currency)", clip_quantile: float = 0.99
                  ) -> Figure:
    """Histogram of CLV per customer; values above ``clip_quantile`` are left off the axis
    (their number is stated in the title) so the bulk of customers stays readable."""
    values = clv.astype("float64").dropna()
    upper = float(values.quantile(clip_quantile)) if len(values) else 0.0
    shown = values[values <= upper]
    fig, ax = plt.subplots(figsize=FIGSIZE)
    sns.histplot(x=shown, bins=60, ax=ax)
    hidden = len(values) - len(shown)
    suffix = f" ({hidden:,} customers above {upper:,.0f} not shown)" if hidden else ""
    ax.set(title=title + suffix, xlabel=xlabel, ylabel="customers")
    thousands(ax.yaxis)
    return fig
