"""Speed and peak memory of the behaviour package on 10,000,000 transactions.

Target (issue 5): the package functions on 10M transactions in under 2 minutes and 8 GB.
Each case runs in its own subprocess (peak RSS = ``ru_maxrss`` of that process, which includes
reading the input Parquet files); the baseline in the same run is a plain pandas groupby of the
same orders (count, sum, min and max date per customer): the floor any customer-level work pays.

Data: ``--rows`` orders (default 10M) of ``rows / 10`` customers over three years with string
ids, channels and statuses, 10 % of orders followed by a service ticket, and 10 campaigns
contacting 100,000 customers each. Writes ``benchmarks/results/behaviour.json`` and prints a
table. Usage: ``python benchmarks/bench_behaviour.py [--rows N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGET_SECONDS, TARGET_GB = 120.0, 8.0


def build(rows: int, out: Path, seed: int = 1) -> None:
    """Write orders, service_tickets, campaigns and campaign_contacts Parquet files."""
    rng = np.random.default_rng(seed)
    n_cust = max(rows // 10, 10)
    start = pd.Timestamp("2023-01-01")
    cust = rng.integers(0, n_cust, rows)
    seconds = rng.integers(0, 3 * 365 * 86400, rows)
    ids = pd.array(np.char.add("CU", np.arange(n_cust).astype(str)), dtype="string")
    orders = pd.DataFrame({
        "order_id": pd.array(np.char.add("O", np.arange(rows).astype(str)), dtype="string"),
        "customer_id": ids[cust],
        "order_date": start + pd.to_timedelta(seconds, unit="s"),
        "amount": np.round(rng.gamma(2.0, 30.0, rows), 2),
        "channel": pd.array(np.array(["web", "app", "store", "phone"])[rng.integers(0, 4, rows)],
                            dtype="string"),
        "status": pd.array(np.array(["completed", "returned", "cancelled"])[
            rng.choice(3, rows, p=[0.91, 0.06, 0.03])], dtype="string"),
    })
    orders.to_parquet(out / "orders.parquet")
    t = rng.random(rows) < 0.1
    opened = orders["order_date"][t] + pd.to_timedelta(rng.exponential(30, t.sum()), unit="h")
    tickets = pd.DataFrame({
        "ticket_id": pd.array(np.char.add("T", np.arange(t.sum()).astype(str)), dtype="string"),
        "customer_id": orders["customer_id"][t].to_numpy(), "opened_at": opened.to_numpy(),
        "resolved_at": (opened + pd.to_timedelta(rng.exponential(40, t.sum()), unit="h"))
        .to_numpy(),
        "type": pd.array(np.array(["inquiry", "feedback", "complaint"])[
            rng.choice(3, t.sum(), p=[0.5, 0.2, 0.3])], dtype="string"),
        "satisfaction": pd.array(rng.integers(1, 6, t.sum()), dtype="Int64"),
    })
    tickets.to_parquet(out / "service_tickets.parquet")
    starts = pd.date_range("2023-03-01", "2025-11-01", periods=10).normalize()
    camp = pd.DataFrame({"campaign_id": [f"C{i}" for i in range(10)],
                         "name": [f"campaign {i}" for i in range(10)],
                         "start_date": starts, "end_date": starts + pd.Timedelta(days=14),
                         "cost_per_contact": 0.1})
    camp.to_parquet(out / "campaigns.parquet")
    k = min(100_000, n_cust)
    contacts = pd.DataFrame({
        "campaign_id": np.repeat(camp["campaign_id"].to_numpy(), k),
        "customer_id": ids[rng.integers(0, n_cust, 10 * k)],
        "sent_at": np.repeat(starts.to_numpy(), k) + pd.Timedelta(hours=10),
        "group": np.where(rng.random(10 * k) < 0.8, "treatment", "control"),
        "opened": rng.random(10 * k) < 0.3, "clicked": rng.random(10 * k) < 0.05,
        "converted": rng.random(10 * k) < 0.1,
    })
    contacts.to_parquet(out / "campaign_contacts.parquet")


CASE = """
import resource, sys, time, json
import pandas as pd
d = sys.argv[1]; case = sys.argv[2]
tables = {n: pd.read_parquet(f"{d}/{n}.parquet") for n in
          ("orders", "service_tickets", "campaigns", "campaign_contacts")}
from crm_analysis import behaviour
start = time.perf_counter()
if case == "baseline: pandas groupby":
    o = tables["orders"]
    o.groupby("customer_id").agg(n=("amount", "size"), spend=("amount", "sum"),
                                 first=("order_date", "min"), last=("order_date", "max"))
else:
    data = behaviour.prepare(tables, as_of="2025-12-31")
    p = data.purchases
    if case == "prepare":
        pass
    elif case == "cohorts + gaps + second purchase":
        behaviour.cohort_table(p, data.as_of)
        behaviour.interpurchase_quantiles(behaviour.interpurchase_times(p))
        behaviour.second_purchase_curve(p, data.as_of)
    elif case == "channels + weekly + returns":
        behaviour.channel_mix(data.all_orders); behaviour.weekly_profile(data.all_orders)
        behaviour.return_rates(data.orders)
    elif case == "complaint effect":
        behaviour.complaint_effect(p, data.tables["service_tickets"], data.as_of)
    elif case == "campaign A/B tests + funnel":
        behaviour.ab_tests(data.tables["campaign_contacts"], p, data.tables["campaigns"])
        behaviour.campaign_funnel(data.tables["campaign_contacts"])
    elif case == "features + groups + statistics":
        f = behaviour.customer_features(p, data.as_of, data.tables["service_tickets"])
        behaviour.find_groups(f, seed=1)
        from crm_analysis import stats
        stats.describe(f, list(behaviour.MEASURES), n_bootstrap=1000)
        stats.correlations(f, list(behaviour.MEASURES), n_bootstrap=1000)
    elif case == "analyse (whole report)":
        behaviour.analyse(data, seed=1)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))
"""

CASES = ["baseline: pandas groupby", "prepare", "cohorts + gaps + second purchase",
         "channels + weekly + returns", "complaint effect", "campaign A/B tests + funnel",
         "features + groups + statistics", "analyse (whole report)"]


def run_case(directory: Path, case: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CASE, str(directory), case], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode:
        raise RuntimeError(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the data here")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    directory = args.keep or Path(tmp.name)
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "orders.parquet").is_file():
        t0 = time.perf_counter()
        build(args.rows, directory)
        print(f"data built in {time.perf_counter() - t0:.1f} s", flush=True)
    rows = []
    baseline = None
    for case in CASES:  # a few cases
        r = run_case(directory, case)
        baseline = baseline or r["seconds"]
        rows.append({"case": case, "seconds": round(r["seconds"], 2),
                     "peak_gb": round(r["peak_gb"], 2),
                     "ratio": round(r["seconds"] / baseline, 2), "baseline": round(baseline, 2),
                     "target": f"< {TARGET_SECONDS:.0f} s and < {TARGET_GB:.0f} GB"})
        print(f"{case:36s} {r['seconds']:8.1f} s {r['peak_gb']:6.2f} GB "
              f"{r['seconds'] / baseline:6.1f}x baseline", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "behaviour.json").write_text(json.dumps({
        "benchmark": "behaviour", "transactions": args.rows, "machine": platform.platform(),
        "rows": rows}, indent=2) + "\n")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
