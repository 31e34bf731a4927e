"""Fast membership tests and lookups on id columns.

pandas 3 stores text as Arrow strings. Its hash-based methods on them (``Series.isin``,
``Index.get_indexer``, ``Series.map`` with a Series) first convert every string to a Python
object, which takes seconds per million ids and gigabytes at our scale. Arrow's own kernels
(``pyarrow.compute.is_in`` / ``index_in``) hash the string buffers directly, several times
faster and without the copies. Every key check and key lookup in the package goes through
:func:`isin` and :func:`positions`; other key types (integers, objects) use a pandas hash index.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["duplicated_rows", "isin", "lookup", "pairs_isin", "positions"]

#: below this many rows pandas' own ``DataFrame.duplicated`` is fast enough
_HASH_ROWS = 200_000


def _arrow_strings(values: object) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow string data behind a Series/Index/array (no copy), or None if not Arrow text."""
    array = getattr(values, "array", values)
    if isinstance(array, pd.arrays.ArrowStringArray) or (
            isinstance(getattr(array, "dtype", None), pd.StringDtype)
            and array.dtype.storage == "pyarrow"):
        data = pa.array(array)  # zero-copy view of the Arrow buffers
        return data if pa.types.is_string(data.type) or pa.types.is_large_string(data.type) \
            else None
    return None


def _as_value_set(candidates: pa.Array | pa.ChunkedArray, like: pa.DataType) -> pa.Array:
    if isinstance(candidates, pa.ChunkedArray):
        candidates = candidates.combine_chunks()
    if candidates.type != like:
        candidates = candidates.cast(like)
    return candidates.drop_null() if candidates.null_count else candidates


def _to_numpy(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return result.to_numpy(zero_copy_only=False) if isinstance(result, pa.Array) \
        else result.to_numpy()


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
    if not isinstance(candidates, pd.Series | pd.Index):
        candidates = pd.Series(list(candidates) if not isinstance(candidates, np.ndarray)
                               else candidates)
    left, right = _arrow_strings(values), _arrow_strings(candidates)
    if left is not None and right is not None:
        found = _to_numpy(pc.is_in(left, value_set=_as_value_set(right, left.type),
                                   skip_nulls=True))
        return pd.Series(found.astype(bool, copy=False), index=values.index)
    known = pd.Index(pd.Series(candidates).dropna().unique())
    found = known.get_indexer(values) >= 0
    return pd.Series(found & values.notna().to_numpy(), index=values.index)


def positions(values: pd.Series | pd.Index, keys: pd.Index | pd.Series) -> np.ndarray:
    """Position of each of ``values`` in ``keys`` (``-1`` if absent or missing), like
    ``Index.get_indexer`` but fast on Arrow strings. ``keys`` must be unique.

    Returns
    -------
    numpy.ndarray of int64, one per value.
    """
    left, right = _arrow_strings(values), _arrow_strings(keys)
    if left is not None and right is not None:
        found = pc.index_in(left, value_set=_as_value_set(right, left.type), skip_nulls=True)
        if isinstance(found, pa.ChunkedArray):
            found = found.combine_chunks()
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return pd.Index(keys).get_indexer(values).astype(np.int64, copy=False)


def lookup(values: pd.Series, mapping: pd.Series, default: object = np.nan) -> pd.Series:
    """``values.map(mapping)`` for a Series ``mapping`` with unique index, fast on Arrow ids;
    keys not in the mapping (and missing values) get ``default``."""
    pos = positions(values, mapping.index)
    taken = mapping.to_numpy()[np.maximum(pos, 0)] if len(mapping) else np.full(len(pos),
                                                                                 default)
    out = pd.Series(taken, index=values.index, dtype=mapping.dtype if len(mapping) else None)
    missing = pos < 0
    if missing.any():
        out = out.where(~missing, default)
    return out


def pairs_isin(left: pd.DataFrame, right: pd.DataFrame) -> np.ndarray:
    """Boolean array: is each row of ``left`` (two key columns) a row of ``right``?"""
    known = pd.MultiIndex.from_frame(right.drop_duplicates())
    return known.get_indexer(pd.MultiIndex.from_frame(left)) >= 0


def duplicated_rows(frame: pd.DataFrame) -> np.ndarray:
    """Boolean array: does each row repeat an earlier row in every column?

    Equal to ``frame.duplicated(keep="first")`` (missing values equal each other, ``-0.0``
    equals ``0.0``). On large frames the rows are first hashed by DuckDB (in parallel, over the
    Arrow buffers); only rows whose hash repeats are compared exactly by pandas, so a hash
    collision can never merge two different rows.
    """
    if len(frame) < _HASH_ROWS or frame.shape[1] == 0:
        return frame.duplicated(keep="first").to_numpy()
    try:
        import duckdb

        con = duckdb.connect()
        try:
            plain = frame.reset_index(drop=True)
            plain.columns = [f"c{i}" for i in range(plain.shape[1])]
            con.register("rows", plain)
            parts = ", ".join(f"c{i} + 0.0" if plain[f"c{i}"].dtype.kind == "f" else f"c{i}"
                              for i in range(plain.shape[1]))
            hashes = con.execute(f"SELECT hash({parts}) AS h FROM rows").fetchnumpy()["h"]
        finally:
            con.close()
    except Exception:  # a column type DuckDB cannot scan: pandas does it all
        return frame.duplicated(keep="first").to_numpy()
    if len(hashes) != len(frame):
        return frame.duplicated(keep="first").to_numpy()
    candidates = np.flatnonzero(pd.Series(np.asarray(hashes)).duplicated(keep=False).to_numpy())
    out = np.zeros(len(frame), dtype=bool)
    if len(candidates):
        out[candidates] = frame.iloc[candidates].duplicated(keep="first").to_numpy()
    return out
