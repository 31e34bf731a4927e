"""Chart helpers: the before/after histogram bins its values itself and draws what seaborn draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns

from crm_analysis import plots


def _values(seed: int, n: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    values = pd.Series(rng.lognormal(4, 1, n))
    values[::40] *= -1
    values[::97] = np.nan
    values[3], values[4] = np.inf, 0.0
    return values


def _seaborn_on_every_value(before, after, log_scale):
    """The chart as it was drawn before binning moved out of seaborn: every value handed over."""
    values = pd.DataFrame({
        "value": pd.concat([before, after], ignore_index=True).astype("float64"),
        "stage": ["before"] * len(before) + ["after"] * len(after),
    }).dropna()
    if log_scale:
        values = values[values["value"] > 0]
    fig, ax = plt.subplots(figsize=plots.FIGSIZE)
    sns.histplot(data=values, x="value", hue="stage", element="step", fill=False,
                 log_scale=log_scale, bins=50, ax=ax, stat="count", common_bins=True)
    return fig


@pytest.mark.parametrize("log_scale", [True, False])
@pytest.mark.parametrize("after_size", [3_000, 0])
def test_before_after_histogram_equals_seaborn_on_every_value(log_scale, after_size):
    before = _values(1, 5_000)
    after = _values(2, after_size).abs() * 1.5 if after_size else pd.Series([], dtype=float)
    got = plots.distribution_before_after(before, after, title="t", xlabel="x",
                                          log_scale=log_scale).axes[0]
    want = _seaborn_on_every_value(before, after, log_scale).axes[0]
    assert len(got.lines) == len(want.lines) == (2 if after_size else 1)
    for mine, theirs in zip(got.lines, want.lines, strict=True):
        np.testing.assert_array_equal(mine.get_xydata(), theirs.get_xydata())
        assert mine.get_color() == theirs.get_color()
    assert got.get_xlim() == want.get_xlim() and got.get_ylim() == want.get_ylim()
    assert got.get_xscale() == ("log" if log_scale else "linear")
    legend = [t.get_text() for t in got.get_legend().get_texts()]
    assert legend == [t.get_text() for t in want.get_legend().get_texts()]
    plt.close("all")


def test_binned_before_after_counts_every_value_once():
    before, after = _values(3, 2_000), _values(4, 1_000)
    binned, edges = plots.binned_before_after(before, after, log_scale=True)
    assert len(edges) == plots.HISTOGRAM_BINS + 1
    for stage, series in (("before", before), ("after", after)):
        rows = binned[binned["stage"] == stage]
        usable = series[np.isfinite(series) & (series > 0)]
        assert rows["rows"].sum() == len(usable)
        assert len(rows) == plots.HISTOGRAM_BINS
        assert ((rows["value"] > 10 ** edges[0]) & (rows["value"] < 10 ** edges[-1])).all()
    assert edges[0] == np.log10(min(before[before > 0].min(), after[after > 0].min()))
    assert edges[-1] == np.log10(max(before[np.isfinite(before)].max(),
                                     after[np.isfinite(after)].max()))
    empty, none = plots.binned_before_after(pd.Series([np.nan, -1.0]), pd.Series([], dtype=float),
                                            log_scale=True)
    assert empty.empty and none is None


def test_charts_shorten_long_labels_from_the_data():
    """A 500-character category name is cut in ticks and legends, never the data or the title."""
    import matplotlib

    from crm_analysis.plots import LABEL_CHARS

    long = "L" + "o" * 498 + "ng"
    frame = pd.DataFrame({"label": [long, "short"], "rows": [3, 5],
                          "effect": [long + " effect", "other"]})
    fig = plots.horizontal_bars(frame, value="rows", label="label", hue="effect",
                                title="A title that is ours", xlabel="rows")
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [long[: LABEL_CHARS - 1] + "\u2026", "short"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert max(map(len, legend)) == LABEL_CHARS and "other" in legend
    assert ax.get_title() == "A title that is ours" and frame["label"].iloc[0] == long
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # what the saved PNG spans, inches
    assert drawn.width < 2 * plots.FIGSIZE[0], drawn.width
    matplotlib.pyplot.close(fig)


def test_axes_of_small_numbers_and_shares_do_not_read_zero():
    """Issue 18: a satisfaction chart's ticks all read "0" (shares on a thousands axis)."""
    frame = pd.DataFrame({"rating": ["1", "2", "3"], "share": [0.1, 0.3, 0.6]})
    for percent, expected in ((False, {"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}),
                              (True, {"0%", "10%", "20%", "30%", "40%", "50%", "60%", "70%"})):
        fig = plots.horizontal_bars(frame, value="share", label="rating", title="t", xlabel="x",
                                    percent=percent)
        fig.canvas.draw()
        ticks = {t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()}
        assert ticks <= expected and len(ticks) > 2, ticks
        plt.close(fig)


def test_a_wide_forecast_band_is_clipped_not_flattening_the_history():
    """Issue 18: a forecast band stretched an axis to 3M over weeks of 50k."""
    fig, ax = plt.subplots()
    assert plots.fit_band_axis(ax, 50_000, 3_000_000)
    assert ax.get_ylim() == (0, 62_500) and "clipped" in ax.texts[0].get_text()
    fig2, ax2 = plt.subplots()
    assert not plots.fit_band_axis(ax2, 50_000, 55_000) and not ax2.texts
    plt.close(fig)
    plt.close(fig2)
