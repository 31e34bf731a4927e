"""``validate_raw``: what a loaded data set holds and what the cleaning step will meet.

Loading already stops on structural errors; these findings are the non-fatal rest, for the
``crm-analysis validate`` command: which tables are present (and which analyses they enable),
source columns not in the contract, and counts of known dirt (guest orders, exact duplicates,
negative quantities, future timestamps, values outside the contract's allowed values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from crm_analysis.io.load import RawData
from crm_analysis.schema import TABLES


@dataclass(frozen=True)
class Finding:
    """One observation about loaded raw data.

    Attributes
    ----------
    level : {"info", "warning"}
        ``warning``: the cleaning step will change or drop rows; ``info``: for the record.
    table, column : str, str or None
        Where.
    message : str
        What, in words.
    count : int
        Rows concerned (0 for table-level notes).
    """

    level: Literal["info", "warning"]
    table: str
    column: str | None
    message: str
    count: int = 0

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        rows = f" ({self.count} rows)" if self.count and self.level == "warning" else ""
        return f"{self.level}: {where}: {self.message}{rows}"


def validate_raw(raw: RawData, *, as_of: pd.Timestamp | None = None) -> list[Finding]:
    """List non-fatal findings about loaded raw data.

    Parameters
    ----------
    raw : RawData
        The result of ``load_raw``.
    as_of : pandas.Timestamp, optional
        Timestamps after it count as "in the future"; default: now (local, naive).

    Returns
    -------
    list of Finding
        In contract table order.
    """
    now = pd.Timestamp.now() if as_of is None else pd.Timestamp(as_of)
    out: list[Finding] = []
    for name, spec in TABLES.items():
        if not raw.has(name):
            out.append(Finding("info", name, None, "absent: the analyses that need it are skipped"))
            continue
        frame = raw[name]
        out.append(
            Finding(
                "info",
                name,
                None,
                f"{len(frame)} rows, columns: {', '.join(frame.columns)}",
                len(frame),
            )
        )
        if extra := raw.extra_columns.get(name):
            out.append(
                Finding(
                    "info",
                    name,
                    None,
                    f"source columns not in the contract (not loaded): {', '.join(extra)}",
                )
            )
        if derived := raw.derived.get(name):
            out.append(Finding("info", name, None, f"derived by the loader: {', '.join(derived)}"))
        dups = int(frame.duplicated().sum())
        if dups:
            out.append(Finding("warning", name, None, "exact duplicate rows", dups))
        for col, cspec in spec.columns.items():
            if col not in frame:
                continue
            values = frame[col]
            if cspec.nullable and cspec.required and (n := int(values.isna().sum())):
                out.append(Finding("warning", name, col, "empty values", n))
            if cspec.allowed is not None:
                odd = values.notna() & ~values.isin(cspec.allowed)
                if n := int(odd.sum()):
                    seen = sorted(map(str, values[odd].unique()[:5]))
                    out.append(
                        Finding(
                            "warning",
                            name,
                            col,
                            f"values outside {list(cspec.allowed)}, e.g. {seen}",
                            n,
                        )
                    )
            if cspec.value_range is not None:
                low, high = cspec.value_range
                n = int((values.notna() & ((values < low) | (values > high))).sum())
                if n:
                    out.append(Finding("warning", name, col, f"values outside {low}..{high}", n))
            if cspec.dtype == "timestamp" and (n := int((values > now).sum())):
                out.append(Finding("warning", name, col, f"timestamps after {now:%Y-%m-%d}", n))
        if name == "order_items" and (n := int((frame["quantity"] < 0).sum())):
            out.append(Finding("warning", name, "quantity", "negative quantities", n))
    return out
