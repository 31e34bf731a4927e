"""Cleaning rules: small named pure functions, applied in the order of :data:`RULES`.

Every rule takes a :class:`~crm_analysis.cleaning.state.WorkingState` (the working tables, the
rows removed so far, the flagged rows, the snapshot and options) and returns the new state and
one :class:`~crm_analysis.cleaning.log.QualityEntry` per table it looked at; it never changes
the state it is given. Rules never drop a row silently: removed rows are counted, and rows that
need a human (returns without their original order) move to a flagged table instead of
disappearing. Rules that only remove rows mark them in the state, taken out once later (see
:mod:`crm_analysis.cleaning.state`).

The order matters and is part of the contract:

1. ``trim_ids`` strips whitespace around ids (``" CU01"`` is ``"CU01"``).
2. ``float_ids`` writes numeric ids exported as floats as whole numbers (``17850.0`` is
   ``17850``), in every table.
3. ``exact_duplicates`` removes rows exported twice (orders without ids or times of day keep
   them: they may be two purchases on one day).
4. ``date_formats`` counts timestamps written in another format than the export's own (they
   were read by the loader; this rule reports them).
5. ``key_duplicates`` keeps the first row of each key (order id, customer id, ...).
6. ``after_snapshot`` removes what happened after the snapshot day (and what hangs off it).
7. ``sparse_start`` leaves out a sparse head (a few orders next to empty months before the data
   becomes continuous).
8. ``guest_orders`` counts orders without customer id: kept for demand analysis, left out of
   customer-level tables.
9. ``non_product_lines`` removes postage, fees and manual adjustments from order lines, and the
   orders that held nothing else (bad-debt adjustments are not purchases).
10. ``invalid_prices`` removes order lines with a zero, negative or missing unit price.
11. ``orphan_items`` removes order lines whose order or product does not exist.
12. ``net_returns`` nets ``C``-prefixed cancellations and returns against their original orders;
    those without an original go to the flagged table ``unmatched_returns``.
13. ``recompute_amounts`` sets each order's amount to the sum of its remaining lines.
14. ``missing_amounts`` removes orders whose amount is still missing or not a number.
15. ``spellings`` gives categorical text one spelling (case, whitespace, typos, native names).
16. ``impossible_ages`` sets ages outside the plausible range to missing (the customer stays).
17. ``orphan_keys`` removes tickets and campaign contacts of unknown customers or campaigns.

The rules live by what they look at: :mod:`~crm_analysis.cleaning.rules.export` (export errors
in any table), :mod:`~crm_analysis.cleaning.rules.window` (the time window),
:mod:`~crm_analysis.cleaning.rules.lines` (order lines), :mod:`~crm_analysis.cleaning.rules.orders`
(orders), :mod:`~crm_analysis.cleaning.rules.returns` (returns and cancellations) and
:mod:`~crm_analysis.cleaning.rules.reference` (categorical values, ages, links of the other
tables).
"""

from __future__ import annotations

from collections.abc import Callable

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.export import (
    date_formats,
    exact_duplicates,
    float_ids,
    key_duplicates,
    trim_ids,
)
from crm_analysis.cleaning.rules.lines import invalid_prices, non_product_lines, orphan_items
from crm_analysis.cleaning.rules.orders import guest_orders, missing_amounts, recompute_amounts
from crm_analysis.cleaning.rules.reference import impossible_ages, orphan_keys, spellings
from crm_analysis.cleaning.rules.returns import net_returns
from crm_analysis.cleaning.rules.window import after_snapshot, sparse_start
from crm_analysis.cleaning.state import WorkingState

Rule = Callable[[WorkingState], tuple[WorkingState, list[QualityEntry]]]
"""A cleaning rule: the working state in, the new state and its log entries out."""

RULES: tuple[Rule, ...] = (
    trim_ids,
    float_ids,
    exact_duplicates,
    date_formats,
    key_duplicates,
    after_snapshot,
    sparse_start,
    guest_orders,
    non_product_lines,
    invalid_prices,
    orphan_items,
    net_returns,
    recompute_amounts,
    missing_amounts,
    spellings,
    impossible_ages,
    orphan_keys,
)
"""The rules in the order they are applied."""

__all__ = [
    "RULES",
    "Rule",
    "after_snapshot",
    "date_formats",
    "exact_duplicates",
    "float_ids",
    "guest_orders",
    "impossible_ages",
    "invalid_prices",
    "key_duplicates",
    "missing_amounts",
    "net_returns",
    "non_product_lines",
    "orphan_items",
    "orphan_keys",
    "recompute_amounts",
    "sparse_start",
    "spellings",
    "trim_ids",
]
