"""Id strings built with pyarrow compute (no per-row Python formatting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def id_array(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """``prefix`` + zero-padded ``numbers`` as a pyarrow string array.

    >>> id_array("CU", np.array([1, 23]), 7).to_pylist()
    ['CU0000001', 'CU0000023']
    """
    s = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    if width:
        s = pc.utf8_lpad(s, width, "0")
    if prefix:
        s = pc.binary_join_element_wise(prefix, s, "")
    return s


def id_series(prefix: str, numbers: np.ndarray, width: int = 0) -> pd.Series:
    """Like :func:`id_array`, as a pandas nullable ``string`` Series."""
    return pd.Series(pd.array(id_array(prefix, numbers, width), dtype="string"))


def string_series(values: pa.Array | np.ndarray) -> pd.Series:
    """A pyarrow or numpy array of text as a pandas nullable ``string`` Series."""
    return pd.Series(pd.array(values, dtype="string"))


def categorical_strings(labels: tuple[str, ...] | list[str], codes: np.ndarray) -> pd.Series:
    """Labels looked up by integer codes (-1 = missing) as a nullable ``string`` Series."""
    codes = np.asarray(codes)
    table = pa.array(list(labels), pa.string())
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes).astype(np.int64), mask=mask)
    return string_series(table.take(idx))
