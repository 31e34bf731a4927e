"""Speed and memory of the future-value models and scoring for 1,000,000 customers.

Cases, each in its own subprocess (so peak RSS is the case's own), on the same order log:

- ``baseline``: reading the orders and one ``rfm_summary`` (the scan floor every model pays);
- ``future value``: reading the orders, ``prepare``, ``compare_models`` (three models on the
  time-based holdout: three feature frames, BG/NBD x Gamma-Gamma, two-stage and Poisson boosting
  fitted on at most 100,000 sampled customers, one OpenMP thread) and ``predict_future_value``
  (refit, score all).

Target (design brief): future value under 3 minutes and 8 GB on 2 cores.

Orders: ``--customers`` customers over three years, first purchases spread uniformly, purchase
rate ~ Gamma(0.9, 30 days), exponential lifetimes (mean 500 days), amounts Gamma(6, 10): about
six orders per customer. Written once to a temporary Parquet file.

Writes ``benchmarks/results/potential.json``. Usage:
``python benchmarks/bench_potential.py [--customers N]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
START, DAYS = pd.Timestamp("2023-01-01"), 3 * 365


def orders(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic order log (vectorised; see the module docstring)."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, DAYS, n_customers)
    lam = rng.gamma(0.9, 1 / 30.0, n_customers)
    life = np.minimum(rng.exponential(500.0, n_customers), DAYS - first)
    repeats = rng.poisson(lam * life)
    customer = np.repeat(np.arange(n_customers), 1 + repeats)
    start = np.repeat(first, 1 + repeats)
    offset = rng.uniform(0, 1, len(customer)) * np.repeat(life, 1 + repeats)
    is_first = np.concatenate(([True], customer[1:] != customer[:-1]))
    day = start + np.where(is_first, 0.0, offset)
    return pd.DataFrame({
        "order_id": pd.array(np.arange(len(customer)).astype(str), dtype="string"),
        "customer_id": pd.array(np.char.add("C", customer.astype(str)), dtype="string"),
        "order_date": START + pd.to_timedelta(np.round(day * 1440), unit="min"),
        "amount": np.round(rng.gamma(6.0, 10.0, len(customer)), 2),
    })


CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import pandas as pd
    sys.path.insert(0, sys.argv[3])
    start = time.perf_counter()
    orders = pd.read_parquet(sys.argv[2])
    snapshot = orders["order_date"].max().normalize()
    if sys.argv[1] == "baseline":
        from crm_analysis.features import rfm_summary
        rfm_summary(orders, as_of=snapshot, time_scaler=7.0)
        extra = {}
    else:
        from crm_analysis import potential
        inputs = potential.prepare(orders)
        cmp = potential.compare_models(orders, snapshot, horizon_days=180, inputs=inputs)
        scored = potential.predict_future_value(orders, snapshot, cmp, inputs=inputs)
        extra = {"chosen": cmp.chosen, "customers_scored": len(scored.scores),
                 "gini": {k: round(float(v), 4) for k, v in cmp.metrics["gini"].items()},
                 "feature_source": potential.FEATURE_SOURCE}
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(json.dumps({"seconds": seconds, "peak_gb": peak, **extra}))
""")


def run_case(case: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, case, str(path), str(ROOT)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.parquet"
        t0 = time.perf_counter()
        frame = orders(args.customers)
        frame.to_parquet(path)
        n_orders = len(frame)
        del frame
        print(f"{n_orders:,} orders of {args.customers:,} customers in "
              f"{time.perf_counter() - t0:.1f} s")
        base = run_case("baseline", path)
        model = run_case("future value", path)
    label = f"{args.customers:,} customers, {n_orders:,} orders"
    rows = [
        {"case": f"baseline: read + rfm_summary, {label}", "seconds": base["seconds"],
         "peak_gb": base["peak_gb"], "ratio": 1.0, "baseline": "itself (scan floor)",
         "target": ""},
        {"case": f"future value: compare 3 models + score, {label}",
         "seconds": model["seconds"], "peak_gb": model["peak_gb"],
         "ratio": model["seconds"] / base["seconds"], "baseline": "read + rfm_summary",
         "target": "< 180 s, < 8 GB",
         **{k: model[k] for k in ("chosen", "customers_scored", "gini", "feature_source")}},
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "potential", "rows": rows,
              "machine": {"python": platform.python_version(), "cpus": _cpus()}}
    (RESULTS / "potential.json").write_text(json.dumps(result, indent=2) + "\n")
    for row in rows:
        print(f"{row['case']}: {row['seconds']:.1f} s, peak {row['peak_gb']:.2f} GB, "
              f"ratio {row['ratio']:.1f}")


def _cpus() -> int | None:
    import os

    return os.cpu_count()


if __name__ == "__main__":
    main()
