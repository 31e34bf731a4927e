"""Run every benchmark (``benchmarks/bench_*.py``) and print one summary table.

One run, same data: when ``ingest`` or ``reports`` is selected, ONE synthetic raw data set
(``--customers``, default 1,000,000: ~8M orders, ~20M order lines) is generated once and written
as CSV and as Parquet into ``--data DIR`` / ``$CRM_BENCH_DATA`` (kept, and reused by later runs)
or else a temporary folder (removed at the end); both benchmarks get it with ``--data``.
Building it is timed and reported apart (``results/dataset.json``), never inside a case.
``synthetic`` generates its own data (that is its subject), into a scratch folder; the other
benchmarks build their own inputs (``engines``: Parquet logs of 10M and 30M transactions, kept
in ``DIR/engines`` when ``--data`` is given).

Each benchmark script is run in its own process, measures its subject and a baseline in the same
run, and writes ``benchmarks/results/<name>.json`` shaped as::

    {"benchmark": "synthetic", "rows": [{"case": ..., "seconds": ..., "peak_gb": ...,
                                          "baseline": ..., "ratio": ..., "target": ...}, ...]}

This script collects those files into ``benchmarks/results/summary.json`` and prints their rows
(seconds are medians of repeats, peak GB over the case's process tree, ratio to the baseline).
Benchmarks are never part of ``make test``: timings on a shared machine are reported, not
asserted.

Usage: ``python benchmarks/run_all.py [NAME ...] [--customers N] [--data DIR]`` (names without
``bench_`` and ``.py``, e.g. ``run_all.py ingest reports``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SHARED_DATA = ("ingest", "reports")
"""Benchmarks that read the shared data set."""
REPORTS_DEFAULT_CUSTOMERS = 20_000
CASE_WIDTH = 52


def _format_row(bench: str, row: dict) -> str:
    def num(key: str, fmt: str) -> str:
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return format(value, fmt)
        return f"{'-':>{fmt.split('.')[0]}}"

    return (
        f"{bench:<12} {row.get('case', ''):<{CASE_WIDTH}} {num('seconds', '10.3f')}"
        f" {num('peak_gb', '8.2f')} {num('ratio', '8.2f')}  {row.get('baseline', '') or ''}"
        f"  {row.get('target', '') or ''}"
    )


def _script_args(name: str, data: Path | None, info: dict | None, scratch: Path,
                 customers: int, keep: Path | None) -> list[str]:
    """Command-line arguments of one benchmark script in this run (``keep``: ``--data``)."""
    if name == "engines" and keep is not None:
        return ["--keep", str(keep.resolve() / "engines")]
    if name == "ingest" and data is not None:
        return ["--data", str(data)]
    if name == "reports" and data is not None and info is not None:
        sizes = sorted({REPORTS_DEFAULT_CUSTOMERS, info["customers"]})
        return ["--data", str(data), "--customers", *map(str, sizes)]
    if name == "synthetic":
        return ["--customers", str(customers), "--out", str(scratch / "synthetic")]
    return []


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="size of the shared data set (default 1,000,000)")
    parser.add_argument("--data", type=Path, default=os.environ.get("CRM_BENCH_DATA") or None,
                        help="keep/reuse the shared data set here (default: $CRM_BENCH_DATA, "
                             "else a temporary folder)")
    args = parser.parse_args(argv)
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        known = {s.stem.removeprefix("bench_") for s in scripts}
        if unknown := sorted(set(args.names) - known):
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    names = [s.stem.removeprefix("bench_") for s in scripts]
    RESULTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    scratch_dir = tempfile.TemporaryDirectory(prefix="crm-bench-")
    scratch = Path(scratch_dir.name)

    data, info = None, None
    if any(name in SHARED_DATA for name in names):
        data = (args.data or scratch / "data").resolve()
        print(f"== shared data set: {data}", flush=True)
        info = benchlib.ensure_dataset(data, args.customers)
        benchlib.write_result("dataset", {
            "benchmark": "dataset",
            "data": {k: v for k, v in info.items() if k != "folder"},
            "rows": [benchlib.dataset_row(info)],
        })

    failed, elapsed = [], {}
    for script, name in zip(scripts, names, strict=True):
        extra = _script_args(name, data, info, scratch, args.customers, args.data)
        print(f"== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        t0 = time.perf_counter()
        if subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent).returncode:
            failed.append(script.name)
        elapsed[name] = time.perf_counter() - t0
    scratch_dir.cleanup()

    summary = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.name != "summary.json":
            summary[path.stem] = json.loads(path.read_text())
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    ran = {*names, "dataset"} if info is not None else set(names)
    header = (f"{'benchmark':<12} {'case':<{CASE_WIDTH}} {'seconds':>10} {'peak GB':>8}"
              f" {'ratio':>8}")
    print(f"\n{header}  baseline  target")
    for name, result in summary.items():
        label = name if name in ran else f"*{name}"
        for row in result.get("rows", []):
            print(_format_row(label, row))
    if set(summary) - ran:
        print("* from an earlier run (not run now)")
    print("wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in elapsed.items())
          + f"; total {time.perf_counter() - started:.0f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
