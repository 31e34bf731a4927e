"""Which scorer ranks the customers: a learned model only where it clearly beats a simple rule.

Reads a :class:`~crm_analysis.churn.backtest.BacktestResult` (its latest test cutoff and the
paired bootstrap samples of every model's metrics) and returns a :class:`ModelChoice`, the
scorer's name and the reasoning in words. "Clearly" means the 95% paired bootstrap interval of
the difference in the metric (ROC-AUC by default) lies above zero. See docs/churn.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crm_analysis.churn.backtest import BacktestResult
from crm_analysis.churn.metrics import METRICS
from crm_analysis.churn.models import BASELINES, CANDIDATES, MODEL_LABELS

__all__ = ["ModelChoice", "choose_model"]


@dataclass(frozen=True)
class ModelChoice:
    """The chosen scorer (a learned model, or the best simple rule) and why, in words.

    ``beats_baselines`` is True when a learned model was chosen: its lead over every simple
    rule is clear (the 95% paired bootstrap interval of the difference lies above zero).
    ``rule`` names the best simple rule, whether or not it was chosen."""

    name: str
    label: str
    reasoning: str
    beats_baselines: bool
    rule: str = "recency"

    @property
    def is_rule(self) -> bool:
        """Whether the customers are scored by a simple rule."""
        return self.name in BASELINES


def _lead(result: BacktestResult, better: str, worse: str, metric: str
          ) -> tuple[float, float]:
    """95% paired bootstrap interval of ``metric(better) - metric(worse)`` on the latest test
    cutoff (NaN without resamples)."""
    s = result.latest.samples
    diff = s[(better, metric)] - s[(worse, metric)]
    if not len(diff):
        return float("nan"), float("nan")
    lo, hi = np.nanpercentile(diff, [2.5, 97.5])
    return float(lo), float(hi)


def choose_model(result: BacktestResult, *, metric: str = "roc_auc",
                 candidates: tuple[str, ...] = CANDIDATES,
                 rules: tuple[str, ...] = BASELINES) -> ModelChoice:
    """Pick the scorer: a learned model only where it clearly beats the best simple rule.

    First the learned model: the simplest candidate, unless another's lead on ``metric`` is
    clear (the 95% paired bootstrap interval of the difference on the latest test cutoff lies
    above zero). Then the best simple rule (recency alone, BG/NBD P(no purchase)): the highest
    ``metric``. The learned model is chosen only when its lead over that rule is clear; else
    the rule scores the customers.

    Returns
    -------
    ModelChoice
    """
    t = result.latest.table.set_index(["model", "metric"])["estimate"]
    label = METRICS[metric]
    present = [c for c in candidates if (c, metric) in t.index]
    ruled = [r for r in rules if (r, metric) in t.index]
    rule = max(ruled, key=lambda m: t[(m, metric)])
    if not present:
        return ModelChoice(rule, MODEL_LABELS[rule], f"{MODEL_LABELS[rule]} is the best simple "
                           f"rule ({label} {t[(rule, metric)]:.3f}).", False, rule)
    model, best = present[0], max(present, key=lambda m: t[(m, metric)])
    if best != model:
        lo, hi = _lead(result, best, model, metric)
        if lo > 0:
            why = (f"{MODEL_LABELS[best]} has the higher {label} ({t[(best, metric)]:.3f} against "
                   f"{t[(model, metric)]:.3f}), and its lead is clear: the 95% bootstrap interval "
                   f"of the difference is {lo:+.3f} to {hi:+.3f}.")
            model = best
        else:
            why = (f"{MODEL_LABELS[best]} scores a {label} of {t[(best, metric)]:.3f} against "
                   f"{t[(model, metric)]:.3f}, but the 95% bootstrap interval of the difference "
                   f"({lo:+.3f} to {hi:+.3f}) includes zero, so the simpler "
                   f"{MODEL_LABELS[model]} is the learned model.")
    else:
        why = (f"{MODEL_LABELS[model]} has the highest {label} of the learned models "
               f"({t[(model, metric)]:.3f}) and is the simpler one.")
    lo, hi = _lead(result, model, rule, metric)
    rule_words = f"the best simple rule, {MODEL_LABELS[rule]} ({t[(rule, metric)]:.3f})"
    if lo > 0:
        beats = all(_lead(result, model, r, metric)[0] > 0 for r in ruled)
        return ModelChoice(model, MODEL_LABELS[model], f"{why} It beats {rule_words}, clearly: "
                           f"the 95% bootstrap interval of the difference is {lo:+.3f} to "
                           f"{hi:+.3f}.", beats, rule)
    return ModelChoice(rule, MODEL_LABELS[rule], f"{why} It does not beat {rule_words}, by more "
                       f"than chance: the 95% bootstrap interval of the difference is {lo:+.3f} "
                       f"to {hi:+.3f}. The customers are scored by the rule.", False, rule)
