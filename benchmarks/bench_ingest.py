"""Ingestion: ``load_raw`` of the same synthetic raw data set as CSV and as Parquet, in one run.

Data: one synthetic data set (default 1,000,000 customers: ~8M orders, ~20M order lines),
generated once and written both as CSV and as Parquet (``benchlib.ensure_dataset``); building it
is reported apart, never part of a timed case. ``--data DIR`` reuses a data set folder (as
``run_all`` does, so every benchmark reads the same set), or builds one there and keeps it.

Cases, each in its own subprocess (peak memory = the largest sum of RSS over its process tree,
sampled every 50 ms), seconds = median of ``--repeats`` (default 3) runs inside it:

- ``pyarrow.parquet.read_table`` of every raw Parquet table of the set: the I/O floor;
- ``pyarrow.csv.read_csv`` of every raw CSV table: the floor for CSV;
- ``load_raw`` of the Parquet folder (read, map onto the contract, parse, validate);
- ``load_raw`` of the CSV folder.

Ratios are to the Parquet floor; the CSV load also carries its ratio to the CSV floor. No target
is set for ingestion in issue 8; the numbers are reported, never asserted.
Writes ``benchmarks/results/ingest.json``.
Usage: ``python benchmarks/bench_ingest.py [--customers N] [--data DIR] [--repeats N]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT
DEFAULT_CUSTOMERS = 1_000_000

CASES = [
    ("parquet_floor", "parquet", "pyarrow read_table, Parquet (I/O floor)"),
    ("csv_floor", "csv", "pyarrow read_csv, CSV (CSV floor)"),
    ("load_parquet", "parquet", "load_raw, Parquet folder"),
    ("load_csv", "csv", "load_raw, CSV folder"),
]


def _table_files(folder: Path, suffix: str) -> list[Path]:
    """The raw tables of a data set folder (``_truth/`` is not part of the export)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffix))


def run_case(case: str, folder: Path, repeats: int) -> dict:
    """Time one case ``repeats`` times in this process; returns seconds and rows read."""
    if case == "parquet_floor":
        import pyarrow.parquet as pq

        files = _table_files(folder, ".parquet")

        def fn():
            return {p.stem: pq.read_table(p).num_rows for p in files}
    elif case == "csv_floor":
        import pyarrow.csv as pacsv

        files = _table_files(folder, ".csv")

        def fn():
            return {p.name.removesuffix(".csv"): pacsv.read_csv(p).num_rows for p in files}
    elif case in ("load_parquet", "load_csv"):
        sys.path.insert(0, str(ROOT))
        from crm_analysis.io import load_raw

        def fn():
            raw = load_raw(folder)
            return {name: len(raw[name]) for name in raw.tables}
    else:
        raise ValueError(case)
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        rows = fn()  # the tables are dropped inside fn, after counting
        times.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(times), "all": times, "rows": rows}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=None,
                        help=f"size of a data set built here (default {DEFAULT_CUSTOMERS:,})")
    parser.add_argument("--data", type=Path, default=None,
                        help="data set folder to reuse (or to build into and keep)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case, args.dir, args.repeats)))
        return 0

    tmp = None
    if args.data is None:
        tmp = tempfile.TemporaryDirectory(prefix="crm-bench-ingest-")
        folder = Path(tmp.name)
    else:
        folder = args.data.resolve()
    info = benchlib.ensure_dataset(folder, args.customers, default=DEFAULT_CUSTOMERS)
    size = f"{info['customers']:,} cust."
    print(f"ingest: {info['customers']:,} customers, {info['rows']['orders']:,} orders, "
          f"{info['rows']['order_items']:,} order lines; CSV {info['bytes']['csv'] / 1e6:,.0f} MB,"
          f" Parquet {info['bytes']['parquet'] / 1e6:,.0f} MB", flush=True)

    results: dict[str, dict] = {}
    failures = []
    for key, fmt, label in CASES:
        run = benchlib.measure([sys.executable, __file__, "--case", key,
                                "--dir", str(folder / fmt), "--repeats", str(args.repeats)])
        if run["returncode"] != 0:
            failures.append(key)
            results[key] = {"error": benchlib.tail(run["stderr"]), "exit_code": run["returncode"],
                            "peak_gb": run["peak_gb"]}
            print(f"{label:<44} FAILED (exit {run['returncode']})\n"
                  f"{benchlib.tail(run['stderr'], 5)}", flush=True)
            continue
        results[key] = {**benchlib.last_json(run["stdout"]), "peak_gb": run["peak_gb"]}
        print(f"{label:<44} {results[key]['seconds']:8.2f} s {run['peak_gb']:6.2f} GB", flush=True)

    floor = results["parquet_floor"].get("seconds")
    csv_floor = results["csv_floor"].get("seconds")
    rows = []
    for key, _, label in CASES:
        res = results[key]
        seconds = res.get("seconds")
        row = {
            "case": f"{label}, {size}",
            "seconds": None if seconds is None else round(seconds, 3),
            "peak_gb": round(res["peak_gb"], 3),
            "baseline": "pyarrow read_table of the Parquet tables",
            "ratio": round(seconds / floor, 3) if seconds and floor else None,
            "target": None,
            "all_seconds": [round(t, 3) for t in res.get("all", [])],
        }
        if key == "load_csv" and seconds and csv_floor:
            row["ratio_to_csv_floor"] = round(seconds / csv_floor, 3)
        if "error" in res:
            row.update(error=res["error"], exit_code=res["exit_code"])
        rows.append(row)
    loaded = [results[k].get("rows") for k in ("load_parquet", "load_csv")]
    result = {
        "benchmark": "ingest",
        "customers": info["customers"],
        "repeats": args.repeats,
        "machine": benchlib.machine(),
        "data": {k: info[k] for k in ("customers", "seed", "rows", "bytes", "generate_s",
                                      "write_s", "seconds", "peak_gb", "reused")},
        "rows": rows,
        "tables_loaded": loaded[0] or loaded[1],
        "same_rows_csv_and_parquet": loaded[0] == loaded[1] if all(loaded) else None,
    }
    print(f"written {benchlib.write_result('ingest', result)}")
    if tmp is not None:
        tmp.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
