"""Fast membership tests on id columns.

pandas 3 stores text as Arrow strings, and ``Series.isin(other_series)`` on them is slow (seconds
for a few hundred thousand ids, growing with both sizes). Looking the values up in a hash index
of the distinct candidates is 10-50x faster and scales linearly; every key check in the package
goes through :func:`isin`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def isin(values: pd.Series, candidates: pd.Series | pd.Index | Iterable[object]) -> pd.Series:
    """Boolean Series: is each of ``values`` among ``candidates``? Missing values never match.

    Parameters
    ----------
    values : pandas.Series
        Keys to test (e.g. ``order_items["order_id"]``).
    candidates : Series, Index or iterable
        The known keys (duplicates and missing values are fine).

    Returns
    -------
    pandas.Series of bool, aligned with ``values``.
    """
    known = pd.Index(pd.Series(candidates).dropna().unique())
    found = known.get_indexer(values) >= 0
    return pd.Series(found & values.notna().to_numpy(), index=values.index)


def pairs_isin(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Boolean array: is each row of ``left`` (two key columns) a row of ``right``?"""
    known = pd.MultiIndex.from_frame(right.drop_duplicates())
    return known.get_indexer(pd.MultiIndex.from_frame(left)) >= 0
