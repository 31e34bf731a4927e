"""Speed and memory of the demand package on 10,000,000 order lines, against a pandas floor.

The data is built directly (not with the generator, to keep the run short): 3,850,000 orders of
1,000,000 customers over three years with a Q4 peak, 2,000 products in 8 categories and
10,000,000 order lines (1-4 per order), plus customers with a region. Each case runs in its own
subprocess that reads the tables from Parquet (not timed) and then times the case; peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that subprocess, so it includes the loaded
tables. The baseline, run the same way, is a plain pandas groupby-sum of the lines' revenue by
week on a frame that already carries each line's order date: the least any weekly demand
figure can cost. ``ratio`` = seconds / baseline seconds. The pandas cases time each step on
the tables already in memory (``aggregate`` and the weekday profile on the per-day reduction);
``analyse`` runs every view on the pandas engine, and again on the DuckDB engine scanning the
Parquet files (only the customers table in pandas).

Target (issue 5): the package functions on 10M transactions in under 2 minutes and 8 GB.

Writes ``benchmarks/results/demand.json`` and prints a table.
Usage: ``python benchmarks/bench_demand.py [--lines N] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"
CATEGORIES = ["Electronics", "Home & Kitchen", "Fashion", "Beauty", "Sports", "Toys", "Books",
              "Garden"]
TARGET = "< 120 s and < 8 GB"
SNAPSHOT = "2025-12-31"


def build(n_lines: int, out: Path, seed: int = 1) -> dict:
    """Write orders, order_items, products, customers for ``n_lines`` lines to ``out``."""
    rng = np.random.default_rng(seed)
    n_orders, n_customers, n_products = int(n_lines / 2.6), max(n_lines // 10, 1000), 2000
    days = pd.date_range("2023-01-01", "2025-12-31", freq="D")
    doy = days.day_of_year.to_numpy()
    intensity = (1 + np.arange(len(days)) / 365) * (1 + 0.6 * np.exp(-((doy - 340) / 25) ** 2))
    day = rng.choice(len(days), n_orders, p=intensity / intensity.sum())
    order_date = days.to_numpy()[day] + rng.integers(0, 86400, n_orders).astype("timedelta64[s]")
    order_ids = pd.array(np.char.add("O", np.arange(n_orders).astype(str)), dtype="string")
    customer = rng.integers(0, n_customers, n_orders)
    cust_ids = pd.array(np.char.add("C", np.arange(n_customers).astype(str)), dtype="string")
    n_per = rng.choice([1, 2, 3, 4], n_orders, p=[0.15, 0.3, 0.3, 0.25])
    n_per[-1] += max(0, n_lines - int(n_per.sum()))  # exactly n_lines lines
    line_order = np.repeat(np.arange(n_orders), n_per)[:n_lines]
    product = rng.integers(0, n_products, len(line_order))
    prod_ids = pd.array(np.char.add("P", np.arange(n_products).astype(str)), dtype="string")
    price = np.round(rng.lognormal(3, 0.7, n_products), 2)
    qty = rng.integers(1, 4, len(line_order)).astype(float)
    items = pd.DataFrame({"order_id": order_ids[line_order], "product_id": prod_ids[product],
                          "quantity": qty, "unit_price": price[product],
                          "discount": np.where(rng.random(len(line_order)) < 0.15, 0.1, 0.0)})
    value = items["quantity"] * items["unit_price"] * (1 - items["discount"])
    amount = np.bincount(line_order, weights=value.to_numpy(), minlength=n_orders)
    orders = pd.DataFrame({"order_id": order_ids, "customer_id": cust_ids[customer],
                           "order_date": order_date.astype("datetime64[ns]"),
                           "amount": np.round(amount, 2), "status": "completed"})
    products = pd.DataFrame({"product_id": prod_ids,
                             "category": np.array(CATEGORIES)[np.arange(n_products) % 8],
                             "list_price": price})
    customers = pd.DataFrame({"customer_id": cust_ids,
                              "region": rng.choice(["North", "East", "South", "West"],
                                                   n_customers),
                              "acquisition_channel": rng.choice(["organic", "paid_search",
                                                                 "social"], n_customers)})
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in {"orders": orders, "order_items": items, "products": products,
                        "customers": customers}.items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    floor = pd.DataFrame({"order_date": orders["order_date"].to_numpy()[line_order],
                          "revenue": value.to_numpy()})
    floor.to_parquet(out / "floor.parquet", index=False)
    return {"orders": n_orders, "order_items": len(items), "customers": n_customers,
            "products": n_products}


def run_case(case: str, data: Path) -> dict:
    """Time one case in this process (called in a subprocess)."""
    from crm_analysis import demand

    if case == "baseline_groupby_week":
        floor = pd.read_parquet(data / "floor.parquet")
        start = time.perf_counter()
        floor.groupby(floor["order_date"].dt.to_period("W"))["revenue"].sum()
        return {"seconds": time.perf_counter() - start}
    if case.startswith("analyse, duckdb"):  # the engine scans the Parquet files
        tables = {"orders": str(data / "orders.parquet"),
                  "order_items": str(data / "order_items.parquet"),
                  "products": str(data / "products.parquet"),
                  "customers": pd.read_parquet(data / "customers.parquet")}
        start = time.perf_counter()
        demand.analyse(tables, as_of=SNAPSHOT, engine="duckdb")
        return {"seconds": time.perf_counter() - start}
    tables = {n: pd.read_parquet(data / f"{n}.parquet")
              for n in ("orders", "order_items", "products", "customers")}
    start = time.perf_counter()
    if case == "analyse (all views)":
        demand.analyse(tables, as_of=SNAPSHOT, engine="pandas")
        return {"seconds": time.perf_counter() - start}
    if case == "DemandScan.daily, duckdb on the frames":
        demand.DemandScan(tables["orders"], tables["order_items"], tables["products"],
                          as_of=SNAPSHOT, engine="duckdb").daily()
        return {"seconds": time.perf_counter() - start}
    lines = demand.demand_lines(tables["orders"], tables["order_items"], tables["products"],
                                as_of=SNAPSHOT)
    t_lines = time.perf_counter() - start
    if case == "demand_lines (join)":
        return {"seconds": t_lines}
    start = time.perf_counter()
    daily = demand.daily_demand(lines)
    t_daily = time.perf_counter() - start
    if case == "daily_demand (per-day reduction)":
        return {"seconds": t_daily}
    start = time.perf_counter()
    if case == "aggregate weekly by category":
        demand.aggregate(daily, freq="W", by="category")
    elif case == "aggregate weekly by product + top_movers":
        weekly = demand.aggregate(daily, freq="W", by=["category", "product_id"])
        demand.top_movers(weekly, by=["category", "product_id"])
    elif case == "item_pairs (products, sparse)":
        demand.item_pairs(lines, top=10)
    elif case == "category_shares by region":
        demand.category_shares(lines, tables["customers"], by="region")
    elif case == "weekday_profile + decompose + backtest":
        weekly = demand.aggregate(daily, freq="W", by="category")
        wide = demand.to_wide(weekly, by="category")
        demand.weekday_profile(daily.series())
        demand.decompose(wide.sum(axis=1))
        demand.backtest(wide, 12, 4)
    else:
        raise ValueError(f"unknown case {case!r}")
    return {"seconds": time.perf_counter() - start}


CASES = ["baseline_groupby_week", "demand_lines (join)", "daily_demand (per-day reduction)",
         "aggregate weekly by category", "aggregate weekly by product + top_movers",
         "item_pairs (products, sparse)", "category_shares by region",
         "weekday_profile + decompose + backtest", "DemandScan.daily, duckdb on the frames",
         "analyse (all views)", "analyse, duckdb engine, from Parquet files"]


def subprocess_case(case: str, data: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--case", case, "--data", str(data)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"case {case} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="data folder to (re)use")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:  # inside the subprocess
        result = run_case(args.case, args.data)
        result["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
        print(json.dumps(result))
        return 0
    tmp = tempfile.TemporaryDirectory(prefix="bench-demand-") if args.keep is None else None
    data = args.keep or Path(tmp.name)
    if not (data / "floor.parquet").is_file():
        start = time.perf_counter()
        shapes = build(args.lines, data)
        print(f"built {shapes} in {time.perf_counter() - start:.1f} s", flush=True)
    rows = []
    for case in CASES:
        r = subprocess_case(case, data)
        rows.append({"case": case, "seconds": round(r["seconds"], 3),
                     "peak_gb": round(r["peak_gb"], 2)})
        print(f"{case:<45} {r['seconds']:8.2f} s {r['peak_gb']:6.2f} GB", flush=True)
    floor = rows[0]["seconds"]
    for row in rows:
        row["ratio"] = round(row["seconds"] / floor, 1) if floor > 0 else None
        row["baseline"] = "pandas groupby-sum by week of the same lines"
        row["target"] = TARGET if row["case"].startswith("analyse") else None
    RESULTS.mkdir(exist_ok=True)
    out = {"benchmark": "demand", "lines": args.lines, "rows": rows,
           "machine": {"python": platform.python_version(), "platform": platform.platform()}}
    (RESULTS / "demand.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\n{'case':<45} {'seconds':>8} {'peak GB':>8} {'ratio':>7}")
    for row in rows:
        print(f"{row['case']:<45} {row['seconds']:8.2f} {row['peak_gb']:8.2f} {row['ratio']:7.1f}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
