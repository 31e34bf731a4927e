"""Names and numbers as a reader says them: ``p_no_purchase`` is "P(no purchase)".

The tables the package returns keep names a program can use (they are written to CSV and
Parquet as they are). On a report page a header is words: :func:`column_words` gives them, from
a short glossary of the names that are not plain English with the underscores read as spaces, and
from rules for the parts every analysis shares (``_lo``/``_hi`` ends of an interval, ``n_``
counts, ``_days`` and ``_hours`` units). :func:`crm_analysis.markup.styled` applies it to every
table a notebook shows.
"""

from __future__ import annotations

import re

GLOSSARY: dict[str, str] = {
    "clv": "CLV",
    "clv_share": "share of CLV",
    "median_clv": "median CLV",
    "p_alive": "P(alive)",
    "p_no_purchase": "P(no purchase)",
    "p_value": "p-value",
    "iqr": "interquartile range",
    "std": "standard deviation",
    "smd": "standardised difference",
    "mae": "mean absolute error",
    "gini": "Gini",
    "pearson": "Pearson r",
    "spearman": "Spearman rho",
    "n": "count",
    "x": "x",
    "y": "y",
    "ci_lo": "95% interval, low",
    "ci_hi": "95% interval, high",
    "rr": "rate ratio",
    "days_since_last": "days since last purchase",
    "first_response_median_hours": "first response, median (hours)",
    "first_response_p90_hours": "first response, 9 in 10 within (hours)",
    "resolution_median_hours": "resolution, median (hours)",
    "resolution_p90_hours": "resolution, 9 in 10 within (hours)",
    "share_unresolved": "share unresolved",
    "top_decile_capture": "captured by the top 10%",
    "cost_per_incremental_conversion": "cost per extra conversion",
    "expected_incremental_profit": "expected extra profit",
    "campaign_id": "campaign",
    "customer_id": "customer",
    "rows_in": "rows before",
    "rows_removed": "rows removed",
    "rows_changed": "rows changed",
    "allowed_gap": "allowed gap (days)",
    "tenure_days": "tenure (days)",
    "mean_gap_days": "mean gap (days)",
    "median_recency_days": "median days since last purchase",
    "potential_tier": "potential",
    "value_tier": "value",
    "risk_tier": "risk",
}
"""Names that do not read as English once their underscores are spaces."""

_ENDS = (("_lo", ", low"), ("_hi", ", high"), ("_p", ", p-value"), ("_rr", ", rate ratio"),
         ("_days", " (days)"), ("_hours", " (hours)"))
"""Endings shared across analyses: an interval's ends, a test's p-value, units."""

_SNAKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+$")


def column_words(label: object) -> object:
    """The header a reader sees for a column named ``label``.

    A name in :data:`GLOSSARY` gets its words; a snake_case name is read part by part (its
    ending from the shared endings, ``n_x`` as "x (n)", underscores as spaces). Anything else
    (a header already written as words, a number, a date) is returned unchanged.

    Examples
    --------
    >>> column_words("return_rate_lo")
    'return rate, low'
    >>> column_words("n_treatment")
    'treatment (n)'
    >>> column_words("vs month before")
    'vs month before'
    """
    if not isinstance(label, str):
        return label
    if label in GLOSSARY:
        return GLOSSARY[label]
    if not _SNAKE.match(label):
        return label
    for end, words in _ENDS:
        if label.endswith(end) and len(label) > len(end):
            return f"{column_words(label[: -len(end)])}{words}"
    if label.startswith("n_"):
        return f"{column_words(label[2:])} (n)"
    return " ".join(GLOSSARY.get(part, part) for part in label.split("_"))


def significant(value: float) -> str:
    """A model parameter as a reader can take it in: three significant digits (at most three
    decimals), powers of ten below 0.1 and from a million, "unbounded" for an interval end at
    infinity.

    Examples
    --------
    >>> [significant(v) for v in (0.8229, 0.003097, 2.2e-08, 3.2e7, float("inf"), 12.5)]
    ['0.823', '3.1e-03', '2.2e-08', '3.2e+07', 'unbounded', '12.5']
    """
    if value != value:  # NaN
        return "\u2013"
    if abs(value) == float("inf"):
        return "unbounded"
    if value != 0 and not 0.1 <= abs(value) < 1e6:
        return f"{value:.1e}"
    return f"{value:.3g}"
