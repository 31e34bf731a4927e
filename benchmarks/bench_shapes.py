"""The whole report suite on every export shape and on real exports: status, seconds, skips,
and which method each model-based report chose against its simple rules.

For each preset of ``crm_analysis.synthetic.presets``, the default synthetic set (``default``),
the CDNOW sample of tests/data (``cdnow_sample``) and the UCI Online Retail export beside the
project (or its sample in tests/data, read with the invoice-line mapping), one run of every
notebook through the runner: how many notebooks finished, the wall-clock seconds of the run,
every headline number the data could not give with its reason (what each report said it
skipped), and per report the method shown, its score in its own check and the best simple
rule's, with the reliability verdict. Writes ``benchmarks/results/shapes.json`` and prints two
tables.

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
from crm_analysis.synthetic import write_default_dataset
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
CDNOW = PROJECT_ROOT / "tests" / "data" / "CDNOW_sample.txt"
EXTRA = ("default", "cdnow_sample")
"""Shapes besides the presets: the default synthetic set and a real CD retailer's log."""

CHOICES = {
    "demand": ("02", "demand_forecast_method", "demand_forecast_mase", "demand_rule_mase",
               "demand_forecast_verdict", "MASE"),
    "churn": ("05", "churn_model", "churn_test_roc_auc", None, "churn_verdict", "ROC-AUC"),
    "future value": ("06", "potential_model", "potential_holdout_gini", None,
                     "potential_verdict", "Gini"),
}
"""Report -> (notebook, method metric, its score, the best rule's score, verdict, measure)."""

RULE_SCORES = {"churn": ("churn_baseline_recency_roc_auc", "churn_baseline_bgnbd_roc_auc"),
               "future value": ("potential_gini_last_period", "potential_gini_average_rate")}
"""Where a report has several simple rules: the best of these is the rule's score."""


def _choices(metrics: dict) -> dict:
    """Per report: the method shown, its score, the best simple rule's score and the verdict."""
    def value(nb: str, key: str):
        return (metrics.get(nb, {}).get(key) or {}).get("value")

    out = {}
    for report, (nb, method, score, rule, verdict, measure) in CHOICES.items():
        rule_score = value(nb, rule) if rule else max(
            (v for v in (value(nb, key) for key in RULE_SCORES[report]) if v is not None),
            default=None)
        out[report] = {"method": value(nb, method), "measure": measure,
                       "score": value(nb, score), "rule_score": rule_score,
                       "verdict": value(nb, verdict),
                       "note": (metrics.get(nb, {}).get(verdict) or {}).get("note")}
    return out


def _write_raw(name: str, raw: Path, seed: int) -> None:
    if name == "uci_online_retail":
        raw.mkdir(parents=True)
        shutil.copy(UCI, raw / UCI.name)
        (raw / "mapping.yaml").write_text(UCI_MAPPING, encoding="utf-8")
    elif name == "default":
        write_default_dataset(raw)
    elif name == "cdnow_sample":
        import pandas as pd

        log = pd.read_csv(CDNOW, sep=r"\s+", header=None,
                          names=["master", "customer_id", "date", "cds", "amount"])
        raw.mkdir(parents=True)
        pd.DataFrame({"customer_id": log["customer_id"].astype(str),
                      "order_date": pd.to_datetime(log["date"].astype(str)).dt.strftime(
                          "%Y-%m-%d"), "amount": log["amount"]}).to_csv(raw / "orders.csv",
                                                                        index=False)
    else:
        write_preset(name, raw, seed=seed)


def run_shape(name: str, root: Path, seed: int) -> dict:
    """One whole-suite run on shape ``name`` in ``root``: statuses, seconds, absent metrics."""
    raw = root / "data" / "raw"
    _write_raw(name, raw, seed)
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
            "choices": _choices({nb.name[:2]: nb.metrics for nb in result.notebooks}),
            "errors": {nb.name: nb.error for nb in result.notebooks if nb.status != "ok"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [*sorted(PRESETS), *EXTRA]
    parser.add_argument("--shapes", nargs="*", default=names, choices=names)
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
    print(f"\n{'shape':<18} {'report':<13} {'method shown':<44} {'score':>7} {'rule':>7}  "
          "verdict")
    for row in rows:
        for report, c in row["choices"].items():
            score = "n/a" if c["score"] is None else f"{c['score']:.3f}"
            rule = "n/a" if c["rule_score"] is None else f"{c['rule_score']:.3f}"
            print(f"{row['shape']:<18} {report:<13} {str(c['method'])[:44]:<44} "
                  f"{score:>7} {rule:>7}  {c['verdict']} ({c['measure']})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "shapes.json").write_text(json.dumps(rows, indent=2, default=str) + "\n",
                                         encoding="utf-8")


if __name__ == "__main__":
    main()
