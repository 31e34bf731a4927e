"""Speed and memory of the synthetic generator, against an I/O floor.

Usage::

    python benchmarks/bench_synthetic.py --customers 1000000 --out /tmp/bench-synthetic

Each measurement runs in a fresh subprocess (so peak RSS is its own):

- ``synthetic``: ``generate(SyntheticConfig(n_customers=N))`` then ``write_dataset(..., fmt)``;
  wall seconds of each and the peak resident memory after each (``ru_maxrss``).
- ``floor``: the same number of values drawn with one ``numpy`` call (float64, one per cell of
  the raw tables), then written as Parquet tables of the same shapes with pyarrow; the least a
  generator of that much data could cost.

Prints a small table and writes ``benchmarks/results/synthetic.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "synthetic.json"


def _peak_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def _phase_synthetic(n: int, out: Path, fmt: str, seed: int) -> dict:
    from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

    t0 = time.perf_counter()
    data = generate(SyntheticConfig(n_customers=n, seed=seed))
    t1 = time.perf_counter()
    peak_generate = _peak_gb()
    write_dataset(data, out, fmt=fmt, overwrite=True)  # type: ignore[arg-type]
    t2 = time.perf_counter()
    shapes = {name: list(frame.shape) for name, frame in data.tables.items()}
    return {
        "generate_s": t1 - t0,
        "write_s": t2 - t1,
        "peak_generate_gb": peak_generate,
        "peak_total_gb": _peak_gb(),
        "shapes": shapes,
        "cells": sum(r * c for r, c in shapes.values()),
        "bytes_written": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
    }


def _phase_floor(shapes: dict[str, list[int]], out: Path, seed: int) -> dict:
    import shutil

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    cells = sum(r * c for r, c in shapes.values())
    t0 = time.perf_counter()
    values = np.random.default_rng(seed).random(cells)
    t1 = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    offset = 0
    for name, (rows, cols) in shapes.items():
        block = values[offset : offset + rows * cols].reshape(cols, rows)
        offset += rows * cols
        table = pa.table({f"c{j}": block[j] for j in range(cols)})
        pq.write_table(table, out / f"{name}.parquet")
    t2 = time.perf_counter()
    return {"draw_s": t1 - t0, "write_s": t2 - t1, "peak_total_gb": _peak_gb(), "cells": cells}


def _run_child(args: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"benchmark phase failed: {args}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True, help="scratch folder (overwritten)")
    parser.add_argument("--fmt", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--phase", choices=["synthetic", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--shapes", help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)

    if ns.phase == "synthetic":
        print(json.dumps(_phase_synthetic(ns.customers, ns.out / "synthetic", ns.fmt, ns.seed)))
        return 0
    if ns.phase == "floor":
        print(json.dumps(_phase_floor(json.loads(ns.shapes), ns.out / "floor", ns.seed)))
        return 0

    common = ["--customers", str(ns.customers), "--out", str(ns.out), "--seed", str(ns.seed)]
    syn = _run_child([*common, "--fmt", ns.fmt, "--phase", "synthetic"])
    floor = _run_child([*common, "--phase", "floor", "--shapes", json.dumps(syn["shapes"])])
    total = syn["generate_s"] + syn["write_s"]
    floor_total = floor["draw_s"] + floor["write_s"]
    result = {
        "customers": ns.customers,
        "format": ns.fmt,
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "synthetic": syn,
        "floor": floor,
        "ratios": {
            "total_time_vs_floor": total / floor_total,
            "peak_memory_vs_floor": syn["peak_total_gb"] / floor["peak_total_gb"],
        },
    }
    result["benchmark"] = "synthetic"
    result["rows"] = [
        {
            "case": f"generate + write {ns.fmt}, {ns.customers:,} customers",
            "seconds": total,
            "peak_gb": syn["peak_total_gb"],
            "ratio": total / floor_total,
            "baseline": f"numpy draw + parquet write of the same size {floor_total:.1f} s",
            "target": "1M customers < 120 s, < 8 GB",
        }
    ]
    rows = [
        ("generate", f"{syn['generate_s']:.1f}", f"{syn['peak_generate_gb']:.2f}"),
        (f"write ({ns.fmt})", f"{syn['write_s']:.1f}", f"{syn['peak_total_gb']:.2f}"),
        ("total", f"{total:.1f}", f"{syn['peak_total_gb']:.2f}"),
        ("floor: numpy draw", f"{floor['draw_s']:.1f}", ""),
        ("floor: parquet write", f"{floor['write_s']:.1f}", f"{floor['peak_total_gb']:.2f}"),
        ("ratio total / floor", f"{result['ratios']['total_time_vs_floor']:.1f}x",
         f"{result['ratios']['peak_memory_vs_floor']:.1f}x"),
    ]  # fmt: skip
    print(f"synthetic generator, {ns.customers:,} customers, {syn['cells']:,} cells")
    print(f"{'step':<24}{'seconds':>10}{'peak GB':>10}")
    for step, sec, gb in rows:
        print(f"{step:<24}{sec:>10}{gb:>10}")

    sys.path.insert(0, str(ROOT))
    from crm_analysis.atomic import atomic_path

    with atomic_path(ns.results) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {ns.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
