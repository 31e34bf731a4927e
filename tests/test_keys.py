"""crm_analysis.keys: the fast key operations equal pandas' own on every kind of id column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_analysis import keys
from crm_analysis.io.parse import parse_numbers


def _ids(values: list, dtype: str) -> pd.Series:
    return pd.Series(values, dtype=dtype)


@pytest.mark.parametrize("dtype", ["string", "str", "object"])
def test_isin_positions_lookup_match_pandas(dtype: str) -> None:
    values = _ids(["a", "b", None, "c", "a", "zz"], dtype)
    known = _ids(["c", "a", None, "q"], dtype)
    expected = values.isin(known.dropna()) & values.notna()
    assert keys.isin(values, known).tolist() == expected.tolist()
    assert keys.isin(values, ["b"]).tolist() == [False, True, False, False, False, False]
    unique = pd.Index(["c", "a", "q"], dtype=dtype if dtype != "object" else object)
    got = keys.positions(values, unique)
    assert got.tolist() == [1, -1, -1, 0, 1, -1]
    assert got.dtype == np.int64
    mapping = pd.Series([1.5, 2.5], index=pd.Index(["a", "c"], dtype=unique.dtype))
    assert keys.lookup(values, mapping, 0.0).tolist() == [1.5, 0.0, 0.0, 2.5, 1.5, 0.0]


def test_isin_on_integer_ids() -> None:
    values = pd.Series([1, 2, 3, None], dtype="Int64")
    assert keys.isin(values, [2, 3]).tolist() == [False, True, True, False]
    assert keys.positions(pd.Series([5, 7]), pd.Index([7, 9])).tolist() == [-1, 0]


def test_duplicated_rows_equals_pandas_on_large_frames(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    n = 30_000
    frame = pd.DataFrame({
        "order_id": pd.array([f"o{i}" for i in rng.integers(0, n // 3, n)], dtype="str"),
        "product_id": pd.array(rng.choice(["p1", "p2", None], n), dtype="string"),
        "quantity": rng.integers(0, 3, n).astype(float),
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 5, n), unit="D"),
    })
    frame.loc[rng.random(n) < 0.1, "quantity"] = np.nan
    frame.loc[rng.random(n) < 0.1, "quantity"] = -0.0  # equals 0.0 for pandas
    frame = pd.concat([frame, frame.sample(2_000, random_state=1)], ignore_index=True)
    monkeypatch.setattr(keys, "_HASH_ROWS", 1_000)  # take the hashing path
    expected = frame.duplicated(keep="first").to_numpy()
    assert expected.sum() >= 2_000
    np.testing.assert_array_equal(keys.duplicated_rows(frame), expected)


def test_arrow_number_parse_matches_pandas() -> None:
    text = pd.Series(["1.5", " 2", "", None, "-3e2", "+4", ".5", "1e-3"], dtype="str")
    out, bad = parse_numbers(text)
    expected = pd.to_numeric(text.str.strip().mask(text.str.strip().eq("")), errors="coerce")
    np.testing.assert_array_equal(out.to_numpy(), expected.to_numpy(dtype=float))
    assert not bad.any()
    out, bad = parse_numbers(pd.Series(["1", "nan", "x"], dtype="str"))  # pandas judges these
    assert bad.tolist() == [False, True, True]
