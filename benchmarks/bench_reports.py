"""The whole report suite (``crm-analysis report``, every notebook) at two data sizes.

Cases (``--customers``, default 20,000 and 1,000,000):

- 20,000 customers: the default synthetic data set (``SyntheticConfig()``, CSV), what
  ``make reports`` builds and analyses. Target: under 60 s.
- 1,000,000 customers (~8M orders, ~20M order lines), same generator, same format. Target:
  under 10 minutes and under 8 GB peak over the process tree (runner + notebook kernels).

Each run is one ``crm-analysis report --data-dir ROOT --reports-dir DIR --run-id ID`` in its own
subprocess, on a fresh data root whose ``raw/`` links to the data set (``processed/`` starts
empty); the per-cell time limit is the runner's default unless ``--timeout`` is given. Seconds =
wall time of the command (median of ``--repeats``, default 1), peak memory = the largest sum of
RSS over its process tree sampled every 50 ms, also split by the notebook running at the time.
Per-notebook durations, statuses and errors are read from the run's ``run.json``; a failing run
is recorded (exit code, which notebook, error, log tail), never raised.

Baseline, measured in the same run: ``load_raw`` of the same raw folder (reading and validating
the data once, in a subprocess); ratio = suite seconds / load seconds. Generating the data is not
part of any timed case: it is reported under ``data``. ``--data DIR`` reuses a data set folder
built by ``benchlib`` (e.g. by ``run_all``) for the case with its number of customers.

Writes ``benchmarks/results/reports.json``. Targets are reported, never asserted.
Usage: ``python benchmarks/bench_reports.py [--customers N [N ...]] [--data DIR] [--skip-large]
[--format csv|parquet] [--repeats N] [--timeout S] [--reports-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT
DEFAULT_CUSTOMERS = 20_000
"""Size of the default data set (``SyntheticConfig().n_customers``)."""
LARGE_CUSTOMERS = 1_000_000
TARGETS = {DEFAULT_CUSTOMERS: (60.0, None), LARGE_CUSTOMERS: (600.0, 8.0)}
"""customers -> (seconds, peak GB or None) of issue 8, on 2 cores."""

_STARTED = re.compile(r"^\[\d+/\d+\] (\S+) started")
_ENDED = re.compile(r"^\[\d+/\d+\] \S+ \.\.\. ")


def _phase(line: str) -> str | None:
    """Which notebook the runner is in, from its progress lines on stderr."""
    if match := _STARTED.match(line):
        return match.group(1)
    if _ENDED.match(line):
        return "runner"
    return None


def _progress(line: str) -> bool:
    """The runner's own progress lines (not papermill's per-notebook chatter)."""
    return line.startswith(("[", "run ", "data root ", "raw data: "))


def _report_command() -> list[str]:
    script = Path(sys.executable).parent / "crm-analysis"
    if script.is_file():
        return [str(script), "report"]
    return [sys.executable, "-m", "crm_analysis.reports"]


def _target_text(customers: int) -> str | None:
    if customers not in TARGETS:
        return None
    seconds, gb = TARGETS[customers]
    text = f"< {seconds:.0f} s" if seconds < 120 else f"< {seconds / 60:.0f} min"
    return text + (f", < {gb:.0f} GB" if gb else "")


def _target_met(customers: int, seconds: float | None, peak_gb: float, ok: bool) -> bool | None:
    if customers not in TARGETS:
        return None
    max_s, max_gb = TARGETS[customers]
    return bool(ok and seconds is not None and seconds < max_s
                and (max_gb is None or peak_gb < max_gb))


def _read_run(run_dir: Path) -> dict | None:
    path = run_dir / "run.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def run_suite(raw: Path, work: Path, reports_dir: Path, run_id: str, *, timeout: float | None,
              max_seconds: float) -> dict:
    """One ``crm-analysis report`` on a fresh data root linking ``raw``; never raises on failure."""
    root = work / f"root-{run_id}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "raw").symlink_to(raw, target_is_directory=True)
    cmd = [*_report_command(), "--data-dir", str(root), "--reports-dir", str(reports_dir),
           "--run-id", run_id, "--force"]
    if timeout is not None:
        cmd += ["--timeout", str(timeout)]
    env = {k: v for k, v in os.environ.items() if k not in ("CRM_DATA_DIR", "CRM_REPORTS_DIR")}
    run = benchlib.measure(cmd, env=env, timeout=max_seconds, phase_of=_phase,
                           echo=_progress)
    manifest = _read_run(reports_dir / run_id)
    notebooks = {}
    for nb in (manifest or {}).get("notebooks", []):
        notebooks[nb["name"]] = {
            "status": nb["status"],
            "seconds": nb["duration_seconds"],
            "peak_gb": round(run["peak_gb_by_phase"].get(nb["name"], 0.0), 3) or None,
            "error": nb["error"],
        }
    failed = [name for name, nb in notebooks.items() if nb["status"] == "failed"]
    result = {
        "exit_code": run["returncode"],
        "timed_out": run["timed_out"],
        "running_when_killed": run["last_phase"] if run["timed_out"] else None,
        "seconds": run["seconds"],
        "peak_gb": run["peak_gb"],
        "status": (manifest or {}).get("status", "no run.json"),
        "notebooks": notebooks,
        "failed_notebooks": failed,
        "skipped_notebooks": [n for n, nb in notebooks.items() if nb["status"] == "skipped"],
        "errors": {n: notebooks[n]["error"] for n in failed},
        "notebook_seconds_total": sum(nb["seconds"] or 0.0 for nb in notebooks.values()),
        "run_json": {k: (manifest or {})[k] for k in ("settings", "versions", "git", "data")
                     if k in (manifest or {})},
    }
    if run["returncode"] != 0 or manifest is None:
        log = reports_dir / run_id / "run.log"
        result["stderr_tail"] = benchlib.tail(run["stderr"], 25)
        if log.is_file():
            result["run_log_tail"] = benchlib.tail(log.read_text(encoding="utf-8"), 40)
    shutil.rmtree(root, ignore_errors=True)  # processed/ of a 1M run is large
    return result


def baseline_load(raw: Path) -> dict:
    """``load_raw`` of the raw folder once, in a subprocess (``bench_ingest``'s case)."""
    case = "load_csv" if any(raw.glob("*.csv")) else "load_parquet"
    run = benchlib.measure([sys.executable, str(Path(__file__).with_name("bench_ingest.py")),
                            "--case", case, "--dir", str(raw), "--repeats", "1"])
    if run["returncode"] != 0:
        return {"seconds": None, "peak_gb": run["peak_gb"],
                "error": benchlib.tail(run["stderr"], 10)}
    return {"seconds": benchlib.last_json(run["stdout"])["seconds"], "peak_gb": run["peak_gb"]}


def _customers_list(values: list[str]) -> list[int]:
    out = []
    for value in values:
        out += [int(v.replace("_", "")) for v in value.split(",") if v]
    return sorted(set(out))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", nargs="+", default=[str(DEFAULT_CUSTOMERS),
                                                          str(LARGE_CUSTOMERS)],
                        help="data sizes (space- or comma-separated; default 20000 1000000)")
    parser.add_argument("--data", type=Path, default=None,
                        help="data set folder (benchlib layout) to reuse for its size")
    parser.add_argument("--skip-large", action="store_true",
                        help=f"leave out sizes above {DEFAULT_CUSTOMERS:,} customers")
    parser.add_argument("--format", choices=benchlib.FORMATS, default="csv",
                        help="raw file format the reports read (default csv, as make reports)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=None,
                        help="per-cell limit passed to crm-analysis report (default: its own)")
    parser.add_argument("--max-minutes", type=float, default=60.0,
                        help="kill a run (whole process tree) after this long (default 60)")
    parser.add_argument("--reports-dir", type=Path, default=None,
                        help="keep the report runs here (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = _customers_list(args.customers)
    if args.skip_large:
        sizes = [n for n in sizes if n <= DEFAULT_CUSTOMERS]

    shared = benchlib.dataset_info(args.data) if args.data else None
    if args.data and shared is None:
        print(f"{args.data} holds no benchmark data set; building one per size", file=sys.stderr)
    tmp = tempfile.TemporaryDirectory(prefix="crm-bench-reports-")
    work = Path(tmp.name)
    reports_dir = (args.reports_dir or work / "reports").resolve()
    cases, rows, failures = [], [], 0
    for n in sizes:
        if shared is not None and shared["customers"] == n and args.format in shared["formats"]:
            info = {**shared, "reused": True}
            raw = args.data.resolve() / args.format
        else:
            info = benchlib.ensure_dataset(work / f"data-{n}", n, formats=[args.format])
            raw = work / f"data-{n}" / args.format
        print(f"reports: {n:,} customers ({info['rows']['order_items']:,} order lines, "
              f"{args.format}); data built in {info['seconds']:.1f} s (not timed below)",
              flush=True)
        base = baseline_load(raw)
        print(f"  baseline load_raw: {base['seconds'] or float('nan'):.1f} s, "
              f"{base['peak_gb']:.2f} GB", flush=True)
        runs = [run_suite(raw, work, reports_dir, f"bench-{n}-{i + 1}", timeout=args.timeout,
                          max_seconds=args.max_minutes * 60) for i in range(args.repeats)]
        ok = all(r["exit_code"] == 0 for r in runs)
        failures += not ok
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_gb"] for r in runs)
        last = runs[-1]
        size = f"{n:,} cust."
        n_nb = len(last["notebooks"]) or "all"
        row = {
            "case": f"report suite ({n_nb} notebooks, {args.format}), {size}",
            "seconds": round(seconds, 3),
            "peak_gb": round(peak, 3),
            "baseline": (f"load_raw of the raw folder {base['seconds']:.1f} s"
                         if base["seconds"] else "load_raw of the raw folder (failed)"),
            "ratio": round(seconds / base["seconds"], 3) if base["seconds"] else None,
            "target": _target_text(n),
            "target_met": _target_met(n, seconds, peak, ok),
            "exit_code": last["exit_code"],
            "status": last["status"],
            "failed_notebooks": last["failed_notebooks"],
            "skipped_notebooks": last["skipped_notebooks"],
            "errors": last["errors"],
            "timed_out": last["timed_out"],
            "running_when_killed": last["running_when_killed"],
            "all_seconds": [round(r["seconds"], 3) for r in runs],
            "notebooks": last["notebooks"],
        }
        rows.append(row)
        for name, nb in last["notebooks"].items():
            rows.append({
                "case": f"  {name}, {size}",
                "seconds": nb["seconds"],
                "peak_gb": nb["peak_gb"],
                "baseline": None,
                "ratio": None,
                "target": None,
                "status": nb["status"],
            })
        cases.append({
            "customers": n,
            "format": args.format,
            "data": {k: info.get(k) for k in ("customers", "seed", "rows", "bytes", "generate_s",
                                              "write_s", "seconds", "peak_gb", "reused")},
            "baseline_load_raw": base,
            "runs": runs,
        })
        state = "ok"
        if not ok:
            state = f"FAILED (exit {last['exit_code']}; failed: {last['failed_notebooks']}"
            if last["timed_out"]:
                state += f"; killed after --max-minutes in {last['running_when_killed']}"
            state += ")"
        print(f"  suite: {seconds:.1f} s, peak {peak:.2f} GB, {state}", flush=True)
        for name, nb in last["notebooks"].items():
            print(f"    {name:<28} {nb['status']:<8} {nb['seconds'] or 0:8.1f} s "
                  f"{nb['peak_gb'] or 0:6.2f} GB", flush=True)
    result = {"benchmark": "reports", "machine": benchlib.machine(), "repeats": args.repeats,
              "cases": cases, "rows": rows}
    print(f"written {benchlib.write_result('reports', result)}")
    tmp.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
