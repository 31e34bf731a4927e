"""The whole report suite on every export shape and on the UCI export: status, seconds, skips.

For each preset of ``crm_analysis.synthetic.presets`` (and the UCI Online Retail export beside
the project, or its sample in tests/data, read with the invoice-line mapping), one run of every
notebook through the runner: how many notebooks finished, the wall-clock seconds of the run,
and every headline number the data could not give, with its reason (what each report said it
skipped). Writes
``benchmarks/results/shapes.json`` and prints one line per shape.

    .venv/bin/python benchmarks/bench_shapes.py [--shapes NAME ...] [--no-uci] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from crm_analysis.config import PROJECT_ROOT
from crm_analysis.reports import run_reports
from crm_analysis.synthetic.presets import PRESETS, write_preset

RESULTS = Path(__file__).parent / "results"
UCI = PROJECT_ROOT.parent / "shared" / "data" / "online_retail_uci.csv.gz"
"""The whole UCI export (the workplace's shared data beside the project); else the test sample."""
if not UCI.is_file():
    UCI = PROJECT_ROOT / "tests" / "data" / "online_retail_uci_sample.csv.gz"
UCI_MAPPING = """base: retail_invoice_lines
tables:
  invoice_lines:
    columns: {invoice: InvoiceNo, stock_code: StockCode, description: Description,
              quantity: Quantity, invoice_date: InvoiceDate, price: UnitPrice,
              customer_id: CustomerID, country: Country}
"""


def run_shape(name: str, root: Path, seed: int) -> dict:
    """One whole-suite run on shape ``name`` in ``root``: statuses, seconds, absent metrics."""
    raw = root / "data" / "raw"
    if name == "uci_online_retail":
        raw.mkdir(parents=True)
        shutil.copy(UCI, raw / UCI.name)
        (raw / "mapping.yaml").write_text(UCI_MAPPING, encoding="utf-8")
    else:
        write_preset(name, raw, seed=seed)
    started = time.perf_counter()
    result = run_reports(notebooks_dir=PROJECT_ROOT / "notebooks", data_dir=root / "data",
                         reports_dir=root / "reports", run_id=name, timeout=900)
    seconds = time.perf_counter() - started
    absent = {f"{nb.name[:2]} {key}": metric.get("reason") for nb in result.notebooks
              for key, metric in nb.metrics.items() if metric["value"] is None}
    return {"shape": name, "exit_code": result.exit_code,
            "notebooks_ok": sum(nb.status == "ok" for nb in result.notebooks),
            "notebooks": len(result.notebooks), "seconds": round(seconds, 1),
            "absent": absent,
            "errors": {nb.name: nb.error for nb in result.notebooks if nb.status != "ok"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", nargs="*", default=sorted(PRESETS), choices=sorted(PRESETS))
    parser.add_argument("--no-uci", action="store_true", help="leave out the UCI export")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    shapes = [*args.shapes, *([] if args.no_uci else ["uci_online_retail"])]
    rows = []
    with tempfile.TemporaryDirectory(prefix="crm-shapes-") as tmp:
        for name in shapes:
            row = run_shape(name, Path(tmp) / name, args.seed)
            rows.append(row)
            reasons = sorted({r for r in row["absent"].values() if r})
            print(f"{name:<18} {row['notebooks_ok']}/{row['notebooks']} ok  "
                  f"{row['seconds']:6.1f} s  exit {row['exit_code']}  "
                  f"absent {len(row['absent'])}: {'; '.join(reasons)[:400]}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shapes.json").write_text(json.dumps(rows, indent=2, default=str) + "\n",
                                         encoding="utf-8")


if __name__ == "__main__":
    main()
