"""Speed and memory of the churn pipeline at 1,000,000 customers and ~20M orders.

Cases, each in a fresh subprocess (seconds measured inside it, peak RSS from ``getrusage``):

- ``rfm_summary`` (baseline): read the orders and summarise them once, the floor of one scan of
  the transaction log;
- ``churn pipeline``: read the orders, ``prepare_inputs``, the derived horizon, features and
  labels at 5 dates (4 backtest cutoffs + the snapshot, each with its BG/NBD fit), the rolling
  backtest of all four models (3 folds, each model fitted twice for the out-of-time calibration,
  at most 200,000 training rows per fit) with 200 bootstrap resamples on the latest cutoff, and
  scoring at the snapshot with reasons for every active customer.

Orders only (the optional tables are absent), generated directly with a vectorised BG/NBD
process (the full synthetic generator would also build ~50M order lines). Target: under 3
minutes and 8 GB on 2 cores. Writes ``benchmarks/results/churn.json`` and prints a table.
Usage: ``python benchmarks/bench_churn.py [--customers N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS, TARGET_GB = 180.0, 8.0
START, DAYS = pd.Timestamp("2023-01-01"), 1096


def make_orders(n_customers: int, path: Path, seed: int = 1) -> int:
    """BG/NBD purchases (lam ~ Gamma(2, 40) per day, p ~ Beta(0.6, 19)) over three years."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(0, DAYS - 1, n_customers)
    lam = rng.gamma(2.0, 1 / 40.0, n_customers)
    p = rng.beta(0.6, 19.0, n_customers)
    codes, times = [np.arange(n_customers)], [first]
    t, alive = first.copy(), np.ones(n_customers, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0, len(idx)) / lam[idx]
        ok = t[idx] < DAYS
        codes.append(idx[ok])
        times.append(t[idx[ok]])
        alive[idx[~ok]] = False
        alive[idx[ok]] = rng.random(ok.sum()) >= p[idx[ok]]
    code, time = np.concatenate(codes), np.concatenate(times)
    ids = pa.array([f"C{i:07d}" for i in range(n_customers)])
    minutes = (time * 1440).astype("int64")
    dates = (np.datetime64(START, "m") + minutes.astype("timedelta64[m]")).astype("datetime64[ns]")
    table = pa.table({
        "order_id": pa.array(np.arange(len(code)) + 1).cast(pa.string()),
        "customer_id": ids.take(pa.array(code)),
        "order_date": pa.array(dates),
        "amount": pa.array(np.round(rng.gamma(6.0, 10.0, len(code)), 2)),
        "status": pa.array(np.where(rng.random(len(code)) < 0.03, "cancelled", "completed")),
    })
    pq.write_table(table, path)
    return len(code)


CASES = {
    "rfm_summary (one scan, baseline)": """
        from crm_analysis.features import rfm_summary
        orders = pd.read_parquet(PATH)
        rfm_summary(orders[orders["amount"] > 0], as_of=SNAPSHOT)
    """,
    "churn pipeline (features + backtest + scoring)": """
        from crm_analysis import churn
        orders = pd.read_parquet(PATH)
        inputs = churn.prepare_inputs(orders)
        windows = churn.plan_windows(inputs.log, SNAPSHOT, n_cutoffs=4)
        horizon, cutoffs = windows.horizon, windows.cutoffs
        feats = churn.build_panel(inputs, [*cutoffs, SNAPSHOT], horizon_days=horizon.days,
                                  as_of=SNAPSHOT)
        models = churn.make_models(feats.feature_names)
        result = churn.backtest(feats, models, n_bootstrap=200)
        choice = churn.choose_model(result)
        scored = churn.score_customers(feats, models[choice.name], SNAPSHOT)
        extra = {"active_customers": len(scored.scores), "panel_rows": len(feats.panel),
                 "horizon_days": horizon.days, "model": choice.name,
                 "test_roc_auc": churn.metric_value(result, choice.name, "roc_auc")}
    """,
}


def run_case(code: str, path: Path, snapshot: str) -> dict:
    script = textwrap.dedent(f"""
        import json, resource, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import pandas as pd
        PATH, SNAPSHOT, extra = {str(path)!r}, pd.Timestamp({snapshot!r}), {{}}
        t0 = time.perf_counter()
    """) + textwrap.dedent(code) + textwrap.dedent("""
        seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        print(json.dumps({"seconds": seconds, "peak_gb": peak, **extra}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        path = Path(tmp) / "orders.parquet"
        n_orders = make_orders(args.customers, path)
        snapshot = f"{START + pd.Timedelta(days=DAYS - 1):%Y-%m-%d}"
        results = {name: run_case(code, path, snapshot) for name, code in CASES.items()}
    base_name = next(iter(CASES))
    base = results[base_name]["seconds"]
    rows = []
    for name, r in results.items():
        rows.append({"case": name, "seconds": round(r["seconds"], 2),
                     "peak_gb": round(r["peak_gb"], 2),
                     "ratio": round(r["seconds"] / base, 1),
                     "baseline": base_name,
                     "target": "" if name == base_name else
                     f"<= {TARGET_SECONDS:.0f} s, <= {TARGET_GB:.0f} GB",
                     **{k: v for k, v in r.items() if k not in ("seconds", "peak_gb")}})
    report = {"benchmark": "churn", "customers": args.customers, "orders": n_orders,
              "machine": {"python": platform.python_version(), "cpus": 2}, "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "churn.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{args.customers:,} customers, {n_orders:,} orders")
    print(f"{'case':50s} {'seconds':>9s} {'peak GB':>8s} {'x floor':>8s}  target")
    for r in rows:
        print(f"{r['case']:50s} {r['seconds']:9.1f} {r['peak_gb']:8.2f} {r['ratio']:8.1f}  "
              f"{r['target']}")


if __name__ == "__main__":
    main()
