"""Two report runs on one data root at once, against the same runs made alone (issue 16).

Builds a synthetic data root (default 3,000 customers), runs every notebook as of two snapshots
alone (each on a data root of its own, one after the other), then both at once on one shared
root, and prints how many run.json figures differ between the concurrent and the solo runs
(must be 0), the wall time of the concurrent pair against the two solo runs in a row, and the
disk a root keeps after ``crm-analysis prune --keep 1``.

    .venv/bin/python benchmarks/bench_concurrent_runs.py [--customers 3000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

SNAPSHOTS = {"june": "2025-06-30", "dec": "2024-12-31"}


def _report(data: Path, reports: Path, run_id: str, snapshot: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crm_analysis.cli", "-q", "report", "--data-dir", str(data),
         "--reports-dir", str(reports), "--run-id", run_id, "-p", f"snapshot_date={snapshot}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a run failed (exit {proc.returncode}):\n{out}")


def _figures(reports: Path, run_id: str) -> dict[str, object]:
    manifest = json.loads((reports / run_id / "run.json").read_text())
    return {f"{nb['name']}:{name}": metric["value"] for nb in manifest["notebooks"]
            for name, metric in nb["metrics"].items()
            if name != "data_set"}  # the data root's name differs by design


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-concurrent-"))
    shutil.rmtree(work, ignore_errors=True)
    raw = work / "raw-export"
    subprocess.run([sys.executable, "-m", "crm_analysis.cli", "-q", "generate", "--out",
                    str(raw), "--customers", str(args.customers)], check=True)

    def root(name: str) -> Path:
        data = work / name
        data.mkdir(parents=True)
        (data / "raw").symlink_to(raw)
        return data

    start = time.perf_counter()
    for run_id, snapshot in SNAPSHOTS.items():
        _wait([_report(root(f"solo-{run_id}"), work / "solo-reports", run_id, snapshot)])
    solo_seconds = time.perf_counter() - start
    shared = root("shared")
    start = time.perf_counter()
    _wait([_report(shared, work / "shared-reports", run_id, snapshot)
           for run_id, snapshot in SNAPSHOTS.items()])
    together_seconds = time.perf_counter() - start

    print(f"{args.customers:,} customers, every notebook, snapshots {SNAPSHOTS}")
    rows = []
    for run_id in SNAPSHOTS:
        alone = _figures(work / "solo-reports", run_id)
        together = _figures(work / "shared-reports", run_id)
        differ = sorted(k for k in alone.keys() | together.keys()
                        if alone.get(k) != together.get(k))
        print(f"  run {run_id}: {len(alone)} figures, {len(differ)} differ from the solo run"
              + (f": {differ[:5]}" if differ else ""))
        rows.append({"case": f"figures of run {run_id} at once vs alone", "figures": len(alone),
                     "differ": len(differ), "target": "0 differ"})
    print(f"  wall time: both at once {together_seconds:.0f} s, one after the other "
          f"{solo_seconds:.0f} s (ratio {together_seconds / solo_seconds:.2f})")
    processed = shared / "processed"
    before = _size(processed)
    subprocess.run([sys.executable, "-m", "crm_analysis.cli", "prune", "--keep", "1",
                    "--data-dir", str(shared), "--reports-dir", str(work / "shared-reports")],
                   check=True, capture_output=True)
    after = _size(processed)
    print(f"  processed/ of the shared root: {before / 1e6:.1f} MB with two sets, "
          f"{after / 1e6:.1f} MB after prune --keep 1")
    rows.append({"case": "two runs at once vs one after the other", "seconds": together_seconds,
                 "baseline": "the two runs one after the other", "ratio": together_seconds
                 / solo_seconds})
    rows.append({"case": "processed/ after prune --keep 1", "mb_before": before / 1e6,
                 "mb_after": after / 1e6})
    benchlib.write_result("concurrent_runs", {"benchmark": "concurrent_runs",
                                              "customers": args.customers,
                                              "machine": benchlib.machine(), "rows": rows})
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
