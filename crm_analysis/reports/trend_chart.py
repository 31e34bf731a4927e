"""The front page's one chart: weekly revenue (orders for a log without amounts) of the last 78
complete weeks and the forecast with its 80% band, from the tables notebook 02 wrote.

The band is drawn as it is, and the axis is fitted to the history and the forecast line: a wide
band is clipped at the top with a note rather than flattening the history.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pandas as pd

WEEKS_SHOWN = 78


def _series(processed_dir: Path) -> tuple[pd.Series, pd.DataFrame, str] | None:
    weekly_path = processed_dir / "demand_weekly.parquet"
    forecast_path = processed_dir / "demand_forecast.parquet"
    if not weekly_path.is_file():
        return None
    weekly = pd.read_parquet(weekly_path)
    measure = "revenue" if weekly["revenue"].notna().any() and weekly["revenue"].abs().sum() > 0 \
        else "orders"
    complete = weekly[weekly["complete"].astype(bool)]
    history = complete.groupby("period")[measure].sum().sort_index().tail(WEEKS_SHOWN)
    forecast = pd.DataFrame()
    needed = {"series", "period", "forecast", "lower_80", "upper_80"}
    fc = pd.read_parquet(forecast_path) if forecast_path.is_file() else pd.DataFrame()
    if len(fc) and needed <= set(fc.columns):  # an unchecked forecast is written empty
        names = fc["series"].astype(str).unique()
        total = "All categories" if "All categories" in names else (
            names[0] if len(names) == 1 else None)
        if total is not None:
            forecast = fc[fc["series"].astype(str) == total].sort_values("period")
    return history, forecast, measure


def trend_chart(processed_dir: Path, *, currency: str | None = None) -> str:
    """An ``<img>`` with the chart as an embedded PNG, or empty without demand tables."""
    found = _series(processed_dir)
    if found is None or found[0].empty:
        return ""
    history, forecast, measure = found
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from crm_analysis.plots import fit_band_axis

    fig, ax = plt.subplots(figsize=(12, 2.8), dpi=100)
    ax.plot(history.index, history.to_numpy(), color="#1f2328", lw=1.4, label="actual")
    top = float(history.max())
    if not forecast.empty:
        ax.fill_between(forecast["period"], forecast["lower_80"].clip(lower=0),
                        forecast["upper_80"], color="#0969da", alpha=0.18, lw=0,
                        label="80% range")
        ax.plot(forecast["period"], forecast["forecast"], color="#0969da", lw=1.6,
                label="forecast")
        top = max(top, float(forecast["forecast"].max()))
    fit_band_axis(ax, top, float(forecast["upper_80"].max()) if not forecast.empty else 0.0)
    unit = f"{measure} per week" + (f" ({currency})" if currency and measure == "revenue"
                                    else "")
    ax.set_ylabel(unit)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", frameon=False, ncols=3, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    alt = f"Weekly {measure}: the last {len(history)} complete weeks" + (
        f" and the forecast of the next {len(forecast)}" if not forecast.empty else "")
    return f'<img class="trend" src="data:image/png;base64,{data}" alt="{alt}">'
