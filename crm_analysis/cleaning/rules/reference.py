"""Rules for the values and links of the remaining tables: one spelling per categorical value,
plausible customer ages, tickets and campaign contacts that point at no customer or campaign.

They run after the row-marking rules and compact the state first (plain frames). Each rule
takes a :class:`~crm_analysis.cleaning.state.WorkingState` and returns the new state and its
log entries; the state it is given is left unchanged.
"""

from __future__ import annotations

import pandas as pd

from crm_analysis.cleaning.log import QualityEntry
from crm_analysis.cleaning.rules.entries import frame_entry
from crm_analysis.cleaning.spelling import COUNTRY_ALIASES, canonical_spellings
from crm_analysis.cleaning.state import WorkingState, without_rows
from crm_analysis.keys import isin

VOCABULARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("channel", "status"),
    "customers": ("gender", "region", "country", "acquisition_channel"),
    "products": ("category",),
    "service_tickets": ("type", "channel", "topic"),
    "campaigns": ("channel",),
    "campaign_contacts": ("group",),
}
"""Categorical text columns whose spellings are normalised."""

LOWER_CASE_COLUMNS = {("orders", "status"), ("service_tickets", "type"),
                      ("campaign_contacts", "group")}
"""Columns whose contract values are lower-case words (``completed``, ``complaint``, ...)."""


def spellings(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Give each categorical text value one spelling (see :mod:`crm_analysis.cleaning.spelling`)."""
    state = state.compact()
    tables = state.tables
    out: dict[str, pd.DataFrame] = {}
    log: list[QualityEntry] = []
    for name, columns in VOCABULARY_COLUMNS.items():
        if name not in tables:
            continue
        frame = tables[name]
        new = frame.copy(deep=False)  # copy-on-write: only the replaced columns are new
        changed = pd.Series(False, index=frame.index)
        for col in (c for c in columns if c in frame):
            aliases = COUNTRY_ALIASES if col == "country" else None
            mapping = canonical_spellings(frame[col], aliases=aliases,
                                          cutoff=state.options.spelling_cutoff)
            if (name, col) in LOWER_CASE_COLUMNS:
                mapping = {k: v.strip().lower() for k, v in mapping.items()}
            fixed = frame[col].map(mapping).astype("string")
            changed |= fixed.ne(frame[col]).fillna(False).astype(bool)
            new[col] = fixed
        out[name] = new
        log.append(frame_entry("spellings", name, frame, new, changed=changed,
                               note=f"one spelling per value of {', '.join(columns)}"))
    return state.with_tables(out), log


def impossible_ages(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Set ages (and birth dates) outside the plausible range (``options.age_range``, years,
    both ends included; a birth date's age is counted at the snapshot day in years of 365.25
    days) to missing; the customer stays."""
    state = state.compact()
    if "customers" not in state.tables:
        return state, []
    frame = state.tables["customers"]
    low, high = state.options.age_range
    new = frame.copy(deep=False)  # copy-on-write: only the columns set below are copied
    bad = pd.Series(False, index=frame.index)
    if "age" in frame:
        wrong = (frame["age"].lt(low) | frame["age"].gt(high)).fillna(False).astype(bool)
        new.loc[wrong, "age"] = pd.NA
        bad |= wrong
    if "birth_date" in frame:
        years = (state.as_of - frame["birth_date"]).dt.days / 365.25
        wrong = (years.lt(low) | years.gt(high)).fillna(False).astype(bool)
        new.loc[wrong, "birth_date"] = pd.NaT
        bad |= wrong
    return state.with_tables({"customers": new}), [
        frame_entry("impossible_ages", "customers", frame, new, changed=bad,
                    note=f"ages outside {low}..{high} years set to missing")]


def orphan_keys(state: WorkingState) -> tuple[WorkingState, list[QualityEntry]]:
    """Remove tickets and contacts of unknown customers or campaigns; count such orders.

    Orders of customers missing from the customers table are kept (the orders table is the
    record of purchases) and counted.
    """
    state = state.compact()
    tables = state.tables
    out: dict[str, pd.DataFrame] = {}
    log: list[QualityEntry] = []
    if "customers" in tables:
        known = tables["customers"]["customer_id"]
        for name in ("service_tickets", "campaign_contacts"):
            if name in tables:
                frame = tables[name]
                drop = ~isin(frame["customer_id"], known)
                if name == "campaign_contacts" and "campaigns" in tables:
                    drop |= ~isin(frame["campaign_id"], tables["campaigns"]["campaign_id"])
                new = without_rows(frame, drop.fillna(True).astype(bool))
                out[name] = new
                log.append(frame_entry("orphan_keys", name, frame, new,
                                       note="customer or campaign not in the data"))
        orders = tables["orders"]
        unknown = orders["customer_id"].notna() & ~isin(orders["customer_id"], known)
        log.append(frame_entry("orphan_keys", "orders", orders, orders, changed=unknown,
                               note="orders of customers missing from the customers table "
                                    "(kept)"))
    return state.with_tables(out), log
