"""What the cleaning notebook shows: the inventory of tables, the log in words, the findings."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from crm_analysis.cleaning.pipeline import CleaningResult
from crm_analysis.io.load import READ_AS_ORDERS
from crm_analysis.markup import Markup, escape, join, md
from crm_analysis.money import NO_AMOUNTS, has_amounts
from crm_analysis.schema import TABLES

ENABLES = {
    "orders": "every analysis: demand over time, RFM, customer value, churn, potential",
    "order_items": "product and category demand, baskets, returns by product",
    "customers": "segments by region, channel and age; cohorts by signup",
    "products": "category demand and preferences",
    "service_tickets": "service analysis and service features for churn",
    "campaigns": "campaign costs and funnels",
    "campaign_contacts": "A/B tests, uplift and targeting",
}
"""What each contract table switches on."""

RULE_TITLES = {
    "trim_ids": "Whitespace around ids",
    "float_ids": "Ids written as decimals (17850.0)",
    "exact_duplicates": "Rows exported twice",
    "date_formats": "Dates in another format",
    "key_duplicates": "Repeated keys",
    "after_snapshot": "After the snapshot date",
    "sparse_start": "Sparse start before continuous data",
    "guest_orders": "Orders without customer id (kept)",
    "non_product_lines": "Postage, fees, adjustments",
    "invalid_prices": "Zero or negative prices",
    "orphan_items": "Lines without order or product",
    "net_returns": "Returns netted / flagged",
    "recompute_amounts": "Order amounts recomputed",
    "missing_amounts": "Orders without an amount",
    "spellings": "Spellings unified",
    "impossible_ages": "Impossible ages blanked",
    "orphan_keys": "Unknown customers or campaigns",
}



def _code(name: str) -> Markup:
    """A name of the data contract (a table or column a mapping names) as a code span; any
    other text escaped as data."""
    return Markup(f"`{name}`") if re.fullmatch(r"[a-z][a-z0-9_]*", name) else escape(name)

def how_read(raw: Mapping[str, pd.DataFrame]) -> list[Markup]:
    """How the export was read, where anything was taken from the files rather than a mapping:
    CSV dialects, columns recognised by their names, date formats read from the values (one
    sentence each; none for an export read exactly as the contract and mapping say)."""
    out = []
    mapping = getattr(raw, "mapping", None)
    if getattr(mapping, "name", "").endswith(READ_AS_ORDERS):
        out.append(md("The folder's only data file, {file}, was read as the orders table.",
                      file=mapping.tables["orders"].file[0]))
    for name, dialect in getattr(raw, "dialects", {}).items():
        if dialect.detected:
            out.append(md("{table} was read with {how}.", table=_code(name),
                          how=dialect.describe()))
    for name, found in getattr(raw, "recognised", {}).items():
        out.append(md("In {table}, columns were recognised by their names: {pairs}.",
                      table=_code(name), pairs=join(md("{col} from {src!r}", col=_code(c), src=s)
                                 for c, s in found.items())))
    default = set(getattr(getattr(raw, "mapping", None), "date_formats", ()))
    for key, used in getattr(raw, "date_formats_used", {}).items():
        read = [f for f in used if f not in default]
        if read:
            out.append(md("{key} was read with the date formats {formats}, taken from its "
                          "values.", key=key, formats=join(read)))
    return out


def inventory(raw: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per contract table: present or not, rows, columns, what it enables."""
    rows = []
    empty = set(getattr(raw, "empty_tables", []))
    for name in TABLES:
        present = name in raw
        rows.append({
            "table": name,
            "present": "yes" if present else "empty" if name in empty else "no",
            "rows": len(raw[name]) if present else 0,
            "columns": len(raw[name].columns) if present else 0,
            "enables": ENABLES.get(name, ""),
        })
    return pd.DataFrame(rows)


def log_table(result: CleaningResult) -> pd.DataFrame:
    """The rules that removed or changed rows, with readable titles (for the report)."""
    log = result.log
    log = log[(log["rows_removed"] > 0) | (log["rows_changed"] > 0)].copy()
    log.insert(0, "what", log["rule"].map(RULE_TITLES).fillna(log["rule"]))
    return log[["what", "table", "rows_in", "rows_removed", "rows_changed", "examples"]]


def rule_chart_data(result: CleaningResult) -> pd.DataFrame:
    """Long table for a bar chart: per rule and table, rows removed and rows changed."""
    log = log_table(result)
    log["label"] = log["what"] + " (" + log["table"] + ")"
    long = log.melt(id_vars="label", value_vars=["rows_removed", "rows_changed"],
                    var_name="effect", value_name="rows")
    long["effect"] = long["effect"].map({"rows_removed": "removed", "rows_changed": "changed"})
    return long[long["rows"] > 0]


def monthly_orders(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Orders and revenue per calendar month, before and after cleaning (long format; no
    revenue column for a log without amounts)."""
    parts = []
    for stage, frame in (("before", before), ("after", after)):
        month = frame["order_date"].dt.to_period("M").dt.to_timestamp()
        money = {"revenue": ("amount", "sum")} if has_amounts(frame) else {}
        agg = frame.groupby(month).agg(orders=("order_date", "size"), **money)
        parts.append(agg.rename_axis("month").reset_index().assign(stage=stage))
    return pd.concat(parts, ignore_index=True)


def key_findings(raw: Mapping[str, pd.DataFrame], result: CleaningResult) -> list[Markup]:
    """Sentences for the top of the report, written from the numbers (Markdown)."""
    log = result.log.set_index(["rule", "table"])
    orders_in = len(raw["orders"])
    orders_out = len(result.tables["orders"])

    def count(rule: str, table: str, column: str) -> int:
        return int(log[column].get((rule, table), 0))

    out = [md("The data is analysed as of **{day:%d %B %Y}**; {out:,} of {into:,} order rows "
              "remain after cleaning ({removed:.1%} removed or merged).",
              day=result.as_of, out=orders_out, into=orders_in,
              removed=(orders_in - orders_out) / max(orders_in, 1))]
    if not has_amounts(result.tables["orders"]):
        out.append(md(NO_AMOUNTS))
    missing = [name for name in TABLES if name not in raw]
    if missing:
        out.append(md("Tables not supplied: {names}; the analyses they enable are skipped in "
                      "later reports.", names=join(_code(n) for n in missing)))
    empty = getattr(raw, "empty_tables", [])
    if empty:
        out.append(md("{names} came with column names but no rows, and count as not supplied.",
                      names=join(_code(n) for n in empty)))
    dup = count("exact_duplicates", "orders", "rows_removed")
    if dup:
        out.append(md("{n:,} order {rows} exported twice and counted once.", n=dup,
                      rows="row was" if dup == 1 else "rows were"))
    guests = count("guest_orders", "orders", "rows_changed")
    if guests:
        out.append(md("{n:,} orders ({share:.1%}) have no customer id: they count for demand, "
                      "not for customer value or churn.", n=guests,
                      share=guests / max(orders_out, 1)))
    unmatched = len(result.flagged.get("unmatched_returns", ()))
    netted = count("net_returns", "orders", "rows_changed")
    if netted or unmatched:
        out.append(md("{netted:,} orders had returns or cancellations netted against them; "
                      "{unmatched:,} returns without their original order are set aside for "
                      "review.", netted=netted, unmatched=unmatched))
    late = count("after_snapshot", "orders", "rows_removed")
    if late:
        out.append(md("{n:,} orders dated after the snapshot were left out.", n=late))
    fixed = sum(count("spellings", t, "rows_changed") for t in ("customers", "products"))
    if fixed:
        out.append(md("{n:,} category or country spellings were unified.", n=fixed))
    return out
