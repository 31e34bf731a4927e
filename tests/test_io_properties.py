"""Property tests: values and dtypes survive CSV and Parquet round trips; mixed date formats."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_analysis.io import load_raw
from crm_analysis.io.parse import parse_timestamps

ids = st.text(alphabet="ABCXYZabcxyz0123456789-_", min_size=1, max_size=12)
amounts = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
moments = st.datetimes(
    min_value=pd.Timestamp("1980-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2100-12-31").to_pydatetime(),
).map(lambda d: pd.Timestamp(d).floor("s"))
rows = st.lists(st.tuples(ids, st.none() | ids, moments, amounts), min_size=1, max_size=30)
FORMATS = ("ISO8601", "%d/%m/%Y %H:%M", "%Y%m%d %H%M%S")
FORMAT_WRITERS = {
    "ISO8601": "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M": "%d/%m/%Y %H:%M",
    "%Y%m%d %H%M%S": "%Y%m%d %H%M%S",
}


def _listed(values: pd.Series) -> list[object]:
    """Values as a list, missing ones as None (pd.NA does not compare equal to itself)."""
    return [None if pd.isna(v) else v for v in values]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rows, suffix=st.sampled_from([".csv", ".csv.gz", ".parquet"]))
def test_round_trip(data: list[tuple], suffix: str) -> None:
    frame = pd.DataFrame(data, columns=["order_id", "customer_id", "order_date", "amount"])
    frame["order_date"] = frame["order_date"].astype("datetime64[ns]")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"orders{suffix}"
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
        orders = load_raw(folder)["orders"]
    assert orders["order_id"].tolist() == frame["order_id"].tolist()
    assert _listed(orders["customer_id"]) == _listed(frame["customer_id"])
    assert orders["amount"].tolist() == frame["amount"].tolist()  # exact, not approximate
    assert orders["order_date"].tolist() == frame["order_date"].tolist()
    assert orders.dtypes.astype(str).tolist() == ["string", "string", "datetime64[ns]", "float64"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(moments, st.sampled_from(FORMATS)), min_size=1, max_size=50))
def test_mixed_formats_parse_exactly(values: list[tuple[pd.Timestamp, str]]) -> None:
    moments_ = [m if fmt == "ISO8601" else m.floor("min") for m, fmt in values]
    # "%d/%m/%Y %H:%M" has no seconds: what it writes is what it can read back
    text = pd.Series(
        [m.strftime(FORMAT_WRITERS[fmt]) for m, (_, fmt) in zip(moments_, values, strict=True)],
        dtype="string",
    )
    parsed, bad = parse_timestamps(text, FORMATS)
    assert not bad.any()
    assert parsed.tolist() == moments_


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=20))
def test_float_exported_ids_lose_point_zero(numbers: list[int]) -> None:
    frame = pd.DataFrame(
        {
            "order_id": [str(n) for n in numbers],
            "customer_id": [f"{n}.0" for n in numbers],
            "order_date": "2024-01-01",
            "amount": 1.0,
        }
    )
    with tempfile.TemporaryDirectory() as folder:
        frame.to_csv(Path(folder) / "orders.csv", index=False)
        orders = load_raw(folder)["orders"]
    assert orders["customer_id"].tolist() == [str(n) for n in numbers]
