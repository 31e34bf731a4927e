"""A CRM export whose every text column holds hostile and awkward strings (issue 20).

Built from the synthetic generator (realistic behaviour, so every report section runs), then every
text value a stakeholder could see is replaced: categories, product names and ids, regions,
countries, acquisition and order channels, ticket topics, campaign names, and customer ids. The
strings are what strangers type into CRM and shop systems: script tags, event-handler attributes,
a closing ``</td>``, an entity that must stay literal, spreadsheet formulas, a right-to-left
override, a 500-character name, emoji and Markdown syntax.

Written as CSV without ``_truth/`` (a user's export has none), with the synthetic mapping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from crm_analysis.synthetic import SyntheticConfig, generate

LONG_NAME = "Long" + "o" * 492 + "name"
"""500 characters."""

HOSTILE = (
    "<script>alert('x')</script>",
    LONG_NAME,
    '<img src=x onerror="alert(1)">',
    "<b onmouseover=alert(3)>hover</b>",
    "</td></tr></table><h1>broken out</h1>",
    "Fish &amp; Chips",
    '=HYPERLINK("http://evil.example","click")',
    "+1+2 plus",
    "-2+3 minus",
    "@SUM(A1) at",
    "Kids <3",
    "Size < 10",
    "\u202eright to left\u202c",
    "Emoji \U0001f6d2\U0001f381",
    "[link](javascript:alert(4))",
    "*stars* _under_ `tick` $math$ ~~del~~ | pipe # hash",
)
"""Each a different shape of trouble; none is a typo of another (cleaning must not merge them)."""

FORMULA_IDS = ("=", "+", "-", "@")
"""Prefixes given to a share of the customer ids (``=CU0000001``)."""

TEXT_COLUMNS = {
    "products": {"category": 0, "product_name": 0},
    "customers": {"region": 2, "country": 6, "acquisition_channel": 10},
    "orders": {"channel": 12},
    "service_tickets": {"topic": 8},
    "campaigns": {"name": 4},
}
"""Free-text columns of the contract (the ones without a fixed list of allowed values), each with
the position in :data:`HOSTILE` its first value takes: between them the columns shown on the
pages (categories, ticket topics, campaign names) carry every hostile string."""


def _hostile_values(values: pd.Series, offset: int) -> pd.Series:
    """Map each distinct value to a hostile string (distinct values stay distinct)."""
    distinct = sorted(values.dropna().astype(str).unique())
    if len(distinct) <= len(HOSTILE):
        lookup = {v: HOSTILE[(i + offset) % len(HOSTILE)] for i, v in enumerate(distinct)}
    else:  # many values (product names): a hostile prefix each, the original keeps them apart
        lookup = {v: f"{HOSTILE[i % len(HOSTILE)]} {v}" for i, v in enumerate(distinct)}
    return values.map(lookup, na_action="ignore").astype("string")


def _hostile_ids(ids: pd.Series, prefixes: tuple[str, ...]) -> pd.Series:
    """Give every third id one of ``prefixes`` in turn (so keys still match across tables)."""
    text = ids.astype("string")
    number = pd.to_numeric(text.str.extract(r"(\d+)$", expand=False), errors="coerce")
    which = (number.fillna(0) // 3 % len(prefixes)).astype(int).to_numpy()
    prefix = pd.Series(np.asarray(prefixes)[which], index=ids.index, dtype="string")
    prefix = prefix.where((number % 3 == 0).fillna(False), "")
    return (prefix + text).where(ids.notna())


def hostile_tables(n_customers: int = 1_500, seed: int = 8) -> dict[str, pd.DataFrame]:
    """The synthetic export (no dirt) with every free-text column and the ids made hostile."""
    data = generate(SyntheticConfig(n_customers=n_customers, seed=seed, dirty=False))
    tables = {name: frame.copy() for name, frame in data.tables.items()}
    for name, columns in TEXT_COLUMNS.items():
        for column, offset in columns.items():
            tables[name][column] = _hostile_values(tables[name][column], offset)
    for frame in tables.values():
        if "customer_id" in frame:
            frame["customer_id"] = _hostile_ids(frame["customer_id"], FORMULA_IDS)
        if "product_id" in frame:
            frame["product_id"] = _hostile_ids(frame["product_id"], ("<i>", "&lt;"))
    return tables


def write_hostile_export(raw: Path, **kwargs) -> dict[str, pd.DataFrame]:
    """Write :func:`hostile_tables` as CSV files into ``raw`` (created); return the tables."""
    raw.mkdir(parents=True, exist_ok=True)
    tables = hostile_tables(**kwargs)
    for name, frame in tables.items():
        frame.to_csv(raw / f"{name}.csv", index=False)
    (raw / "mapping.yaml").write_text("base: synthetic\n", encoding="utf-8")
    return tables
