"""Presets: exports shaped like the ones users bring, for the scenario tests and for trying out.

Real exports are rarely three tidy years of twenty thousand customers. Each preset is the
generator's clean data (:func:`~crm_analysis.synthetic.generate` with ``dirty=False``) in a shape
that real exports have: very few customers, weeks or months of history, almost only one-time
buyers, a gap of empty months, one product, a closed cohort, the transaction log alone, a log of
visits without amounts. A preset has no ground truth (a user's export has none), so the reports
treat it as they would a real one.

>>> tables = preset_tables("three_months", seed=3)
>>> sorted(tables)[:2], tables["orders"]["order_date"].min() >= pd.Timestamp("2025-10-01")
(['campaign_contacts', 'campaigns'], True)

``crm-analysis generate --preset NAME --out DIR`` writes one as CSV files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crm_analysis.atomic import atomic_dir
from crm_analysis.synthetic.config import SyntheticConfig
from crm_analysis.synthetic.generator import generate

Tables = dict[str, pd.DataFrame]
Shape = Callable[[Tables, np.random.Generator], Tables]


def _keep_orders(tables: Tables, keep: pd.Series) -> Tables:
    """Keep the orders where ``keep`` is true and the lines of those orders."""
    out = dict(tables)
    out["orders"] = tables["orders"][keep.to_numpy(bool)].reset_index(drop=True)
    if "order_items" in tables:
        items = tables["order_items"]
        out["order_items"] = items[items["order_id"].isin(out["orders"]["order_id"])
                                   .to_numpy(bool)].reset_index(drop=True)
    return out


def _first_orders(orders: pd.DataFrame) -> pd.Series:
    """True for each customer's first order (by date, then order id)."""
    ranked = orders.sort_values(["customer_id", "order_date", "order_id"], kind="stable")
    first = ~ranked["customer_id"].duplicated()
    return first.reindex(orders.index)


def _one_time_buyers(share_repeat: float) -> Shape:
    def shape(tables: Tables, rng: np.random.Generator) -> Tables:
        orders = tables["orders"]
        customers = orders["customer_id"].dropna().unique()
        n_keep = round(share_repeat * len(customers))
        repeaters = rng.choice(customers, size=n_keep, replace=False)
        keep = _first_orders(orders) | orders["customer_id"].isin(repeaters).fillna(False)
        return _keep_orders(tables, keep)

    return shape


def _empty_months(first: str, last: str) -> Shape:
    def shape(tables: Tables, rng: np.random.Generator) -> Tables:
        day = tables["orders"]["order_date"]
        gap = (day >= pd.Timestamp(first)) & (day < pd.Timestamp(last))
        out = _keep_orders(tables, ~gap)
        if "service_tickets" in out:
            opened = out["service_tickets"]["opened_at"]
            inside = (opened >= pd.Timestamp(first)) & (opened < pd.Timestamp(last))
            out["service_tickets"] = out["service_tickets"][~inside.to_numpy(bool)]
        return out

    return shape


def _single_product(tables: Tables, rng: np.random.Generator) -> Tables:
    out = dict(tables)
    product = tables["products"].iloc[[0]].reset_index(drop=True)
    out["products"] = product
    items = tables["order_items"].assign(product_id=product["product_id"].iloc[0])
    out["order_items"] = items
    return out


def _closed_cohort(quarter_days: int = 91) -> Shape:
    def shape(tables: Tables, rng: np.random.Generator) -> Tables:
        orders = tables["orders"]
        first = orders.groupby("customer_id")["order_date"].transform("min")
        cohort_end = orders["order_date"].min() + pd.Timedelta(days=quarter_days)
        members = orders.loc[(first < cohort_end).to_numpy(bool), "customer_id"].unique()
        out = _keep_orders(tables, orders["customer_id"].isin(members).fillna(False))
        for name in ("customers", "service_tickets", "campaign_contacts"):
            if name in out:
                frame = out[name]
                out[name] = frame[frame["customer_id"].isin(members).to_numpy(bool)]
        return out

    return shape


def _orders_only(tables: Tables, rng: np.random.Generator) -> Tables:
    return {"orders": tables["orders"][["order_id", "customer_id", "order_date", "amount"]]}


def _visits_log(tables: Tables, rng: np.random.Generator) -> Tables:
    orders = tables["orders"]
    completed = orders["status"].eq("completed").fillna(True).to_numpy(bool)
    return {"orders": orders.loc[completed, ["customer_id", "order_date"]]}


@dataclass(frozen=True)
class Preset:
    """One export shape: generator settings, then a reshaping of the clean tables."""

    description: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    shape: Shape | None = None

    def tables(self, seed: int) -> Tables:
        """The export's tables (contract columns and dtypes, no ground truth)."""
        config = SyntheticConfig(**{"n_customers": 400, **self.settings, "seed": seed,
                                    "dirty": False})
        tables = {name: frame.copy() for name, frame in generate(config).clean.items()}
        if self.shape is not None:
            tables = self.shape(tables, np.random.default_rng(seed))
        return {name: frame.reset_index(drop=True) for name, frame in tables.items()}


PRESETS: dict[str, Preset] = {
    "five_customers": Preset("5 customers over three years", {"n_customers": 5}),
    "thirty_customers": Preset("30 customers over three years", {"n_customers": 30}),
    "three_weeks": Preset("three weeks of history",
                          {"start": "2025-12-11", "end": "2025-12-31", "n_customers": 600}),
    "three_months": Preset("three months of history",
                           {"start": "2025-10-01", "end": "2025-12-31"}),
    "one_year": Preset("one year of history", {"start": "2025-01-01", "end": "2025-12-31"}),
    "one_time_buyers": Preset("97% of customers buy once (3% keep their repeat purchases)",
                              {"n_customers": 1_000}, _one_time_buyers(0.03)),
    "no_repeat_buyers": Preset("every customer buys exactly once", {"n_customers": 600},
                               _one_time_buyers(0.0)),
    "strong_growth": Preset("signups grow about twentyfold a year",
                            {"cohort_growth_per_year": 3.0}),
    "empty_months": Preset("no orders from September to December 2024",
                           {}, _empty_months("2024-09-01", "2025-01-01")),
    "single_product": Preset("one product in the catalogue", {}, _single_product),
    "closed_cohort": Preset("everyone acquired in the first quarter, then followed for three years",
                            {"n_customers": 4_000}, _closed_cohort()),
    "orders_only": Preset("the transaction log alone: order id, customer id, date, amount",
                          {}, _orders_only),
    "visits_log": Preset("a log of visits without amounts: customer id and date only",
                         {}, _visits_log),
}
"""The presets by name."""


def preset_tables(name: str, *, seed: int = 1) -> Tables:
    """The tables of preset ``name`` (see :data:`PRESETS`) generated with ``seed``."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name].tables(seed)


def write_preset(name: str, out_dir: str | os.PathLike[str], *, seed: int = 1) -> Path:
    """Write preset ``name`` as one CSV file per table into ``out_dir`` (created; atomic)."""
    tables = preset_tables(name, seed=seed)
    out = Path(out_dir)
    with atomic_dir(out, overwrite=True) as tmp:
        for table, frame in tables.items():
            frame.to_csv(tmp / f"{table}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    return out
