"""Choose each series' forecast by a rolling-origin backtest of rules and models; calibrate its
ranges on the same backtest.

The backtest refits every candidate of :data:`crm_analysis.demand.methods.METHODS` at up to
``origins`` past cut-offs and forecasts the ``horizon`` weeks that followed (the last origin
leaves the final ``horizon`` weeks; each earlier one is ``horizon`` weeks before the next, so the
test windows do not overlap). Errors are scaled as MASE (Hyndman & Koehler 2006): each origin
divides them by the in-sample error of the naive rule on its own training data (the rule one
season back, 52 weeks, when the training data has two years; last week's value otherwise).

Per series the forecast shown is the candidate with the lowest MASE; a tie goes to the simpler
method (rules first). A model is therefore shown only where it beat every simple rule on that
series' own past, and the page can say which rule it beat, or that a rule won.

Ranges are not a method's own theory but what its backtest errors say: the 80 % range is the
point forecast plus and minus the 80th percentile of its absolute backtest errors on that series
(a split-conformal interval, with the finite-sample rank ``ceil((n + 1) * level)``), clipped at
zero. Their coverage is checked honestly by leaving each origin out in turn: the range built
from the other origins' errors must hold that origin's weeks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_analysis.demand.forecast import HarmonicForecaster, baseline_lag, mase_scale
from crm_analysis.demand.methods import METHODS
from crm_analysis.features.time_units import DAYS_PER_WEEK
from crm_analysis.limits import NotEnoughData

__all__ = ["LEVELS", "MIN_TRAIN_WEEKS", "Backtest", "backtest", "forecast"]

MIN_TRAIN_WEEKS = 10
"""Fewest complete weeks of training data at a backtest origin."""

LEVELS: tuple[float, ...] = (0.8, 0.95)
"""Central levels of the forecast ranges."""


@dataclass(frozen=True)
class Backtest:
    """A rolling-origin backtest of every candidate method on a weekly table.

    Attributes
    ----------
    errors : DataFrame
        One row per series, method, origin and step: ``series``, ``method``, ``origin`` (last
        training week), ``period``, ``step``, ``actual``, ``forecast`` (units of the series),
        ``abs_error``, ``scale`` (in-sample naive MAE of that origin), ``scaled_error`` and
        ``lag`` (weeks back of the scaling rule).
    scores : DataFrame
        Per series and method: ``mase``, ``mae`` (units per week) and ``rule`` (simple rule or
        model).
    choice : DataFrame
        Per series (index): the chosen ``method`` with its ``mase`` and ``mae``; the best simple
        rule (``rule_method``, ``rule_mase``, ``rule_mae``); ``coverage_80``/``coverage_95`` of
        the chosen method's calibrated ranges (leave one origin out; NaN with one origin) and
        ``origins``.
    overall : dict
        Over all series, for the chosen methods and for the best rules: ``mase``, ``rule_mase``
        (mean of scaled errors), ``mae``, ``rule_mae`` (mean absolute error per series and
        week), ``coverage_80``, ``coverage_95``, ``origins``, ``horizon``, ``lag``,
        ``series``, ``model_series`` (how many series a model won).
    """

    errors: pd.DataFrame
    scores: pd.DataFrame
    choice: pd.DataFrame
    overall: dict

    def only(self, series: Iterable[str]) -> Backtest:
        """The same backtest restricted to some series (choices and summaries recomputed)."""
        keep = self.errors["series"].isin(list(series))
        return summarise(self.errors[keep].reset_index(drop=True))


def backtest(wide: pd.DataFrame, horizon: int, origins: int = 4, *,
             methods: Sequence[str] | None = None,
             model: HarmonicForecaster | None = None) -> Backtest:
    """Rolling-origin backtest of the candidate methods (module doc).

    Parameters
    ----------
    wide : DataFrame
        Complete weeks as rows (index: week starts), one column per series (e.g. category
        revenue, currency per week).
    horizon : int
        Weeks ahead (the forecast horizon of the report).
    origins : int
        Number of forecast origins; fewer are used when the history is short.
    methods : sequence of str, optional
        Names in :data:`METHODS` (all by default). A method that cannot fit on the earliest
        origin's history (the seasonal rule without a year) is left out for every origin.
    model : HarmonicForecaster, optional
        Settings of the harmonic model.

    Returns
    -------
    Backtest

    Raises
    ------
    NotEnoughData
        Fewer than ``MIN_TRAIN_WEEKS + horizon`` complete weeks.
    """
    n = len(wide)
    cuts = sorted(n - horizon * k for k in range(1, origins + 1)
                  if n - horizon * k >= MIN_TRAIN_WEEKS)
    if not cuts:
        raise NotEnoughData(f"checking a {horizon}-week forecast against simple rules needs at "
                            f"least {MIN_TRAIN_WEEKS + horizon} complete weeks and the data has "
                            f"{n}")
    names = [m for m in (methods or METHODS) if METHODS[m].min_weeks <= cuts[0]]
    parts = []
    for cut in cuts:  # a handful of origins x series x methods: each a small fit
        lag = baseline_lag(cut)
        train, test = wide.iloc[:cut], wide.iloc[cut:cut + horizon]
        steps = np.arange(1, len(test) + 1)
        for col in wide.columns:
            history = train[col]
            scale = mase_scale(history.to_numpy(dtype=float), lag)
            for name in names:
                pred = METHODS[name].make(model).fit(history).predict(horizon)[:len(test)]
                parts.append(pd.DataFrame({
                    "series": col, "method": name, "origin": train.index[-1],
                    "period": test.index, "step": steps, "actual": test[col].to_numpy(float),
                    "forecast": pred, "scale": scale, "lag": lag}))
    errors = pd.concat(parts, ignore_index=True)
    errors["abs_error"] = (errors["actual"] - errors["forecast"]).abs()
    errors["scaled_error"] = errors["abs_error"] / errors["scale"].where(errors["scale"] > 0)
    return summarise(errors)


def _conformal(abs_errors: np.ndarray, level: float) -> float:
    """Half-width of a split-conformal range: the ``ceil((n + 1) level)``-th smallest error."""
    e = np.sort(abs_errors[np.isfinite(abs_errors)])
    if not len(e):
        return float("nan")
    rank = min(int(np.ceil((len(e) + 1) * level)), len(e))
    return float(e[rank - 1])


def _held_out_coverage(rows: pd.DataFrame, level: float) -> float:
    """Share of weeks inside the range built from the *other* origins' errors."""
    origins = rows["origin"].unique()
    if len(origins) < 2:
        return float("nan")
    inside = []
    for origin in origins:  # a handful of origins
        mine = rows["origin"] == origin
        width = _conformal(rows.loc[~mine, "abs_error"].to_numpy(), level)
        inside.append(rows.loc[mine, "abs_error"].to_numpy() <= width)
    return float(np.mean(np.concatenate(inside)))


def summarise(errors: pd.DataFrame) -> Backtest:
    """Scores, choices and overall figures of a table of backtest errors (see :class:`Backtest`)."""
    order = {name: i for i, name in enumerate(METHODS)}
    scores = (errors.groupby(["series", "method"], sort=False, observed=True)
              .agg(mase=("scaled_error", "mean"), mae=("abs_error", "mean")).reset_index())
    scores["rule"] = scores["method"].map(lambda m: METHODS[m].rule)
    # rank by MASE (by MAE where a flat history leaves no scale), ties to the simpler method
    ranked = scores.assign(key=scores["mase"].fillna(scores["mae"]),
                           simple=scores["method"].map(order))
    ranked = ranked.sort_values(["series", "key", "simple"], kind="stable")
    best = ranked.drop_duplicates("series").set_index("series")
    rule = ranked[ranked["rule"]].drop_duplicates("series").set_index("series")
    choice = pd.DataFrame({"method": best["method"], "mase": best["mase"], "mae": best["mae"],
                           "rule_method": rule["method"], "rule_mase": rule["mase"],
                           "rule_mae": rule["mae"]})
    chosen = errors.merge(choice["method"].rename_axis("series").reset_index(),
                          on=["series", "method"])
    ruled = errors.merge(choice["rule_method"].rename("method").rename_axis("series")
                         .reset_index(), on=["series", "method"])
    for level in LEVELS:
        pct = round(level * 100)
        choice[f"coverage_{pct}"] = [
            _held_out_coverage(chosen[chosen["series"] == s], level) for s in choice.index]
    choice["origins"] = chosen.groupby("series")["origin"].nunique().reindex(choice.index)
    overall = {"mase": float(chosen["scaled_error"].mean()),
               "rule_mase": float(ruled["scaled_error"].mean()),
               "mae": float(chosen["abs_error"].mean()),
               "rule_mae": float(ruled["abs_error"].mean()),
               **{f"coverage_{round(lv * 100)}": float(
                   choice[f"coverage_{round(lv * 100)}"].mean()) for lv in LEVELS},
               "origins": int(errors["origin"].nunique()),
               "horizon": int(errors["step"].max()),
               "lag": int(errors["lag"].min()),
               "series": len(choice),
               "model_series": int((~choice["method"].map(lambda m: METHODS[m].rule)).sum())}
    return Backtest(errors=errors, scores=scores, choice=choice, overall=overall)


def forecast(wide: pd.DataFrame, horizon: int, checked: Backtest, *,
             model: HarmonicForecaster | None = None) -> pd.DataFrame:
    """Forecast every column of a weekly table with the method its backtest chose.

    Parameters
    ----------
    wide : DataFrame
        Complete weeks as rows (index: week starts), one column per series.
    horizon : int
        Weeks ahead.
    checked : Backtest
        The backtest of the same series: it names each series' method and its errors give the
        ranges.
    model : HarmonicForecaster, optional
        Settings of the harmonic model.

    Returns
    -------
    DataFrame
        ``series``, ``method``, ``period`` (week start), ``step`` (1..horizon), ``forecast``
        (units of the series) and ``lower_80``/``upper_80``, ``lower_95``/``upper_95``.
    """
    parts = []
    for col in wide.columns:  # one fit per series
        method = checked.choice.loc[col, "method"]
        series = wide[col]
        start = pd.Timestamp(series.index[-1]) + pd.Timedelta(days=DAYS_PER_WEEK)
        part = pd.DataFrame({
            "series": col, "method": method,
            "period": pd.date_range(start, periods=horizon, freq="7D"),
            "step": np.arange(1, horizon + 1),
            "forecast": METHODS[method].make(model).fit(series).predict(horizon)})
        e = checked.errors
        abs_errors = e.loc[(e["series"] == col) & (e["method"] == method), "abs_error"]
        for level in LEVELS:
            width = _conformal(abs_errors.to_numpy(), level)
            pct = round(level * 100)
            part[f"lower_{pct}"] = np.clip(part["forecast"] - width, 0, None)
            part[f"upper_{pct}"] = part["forecast"] + width
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
