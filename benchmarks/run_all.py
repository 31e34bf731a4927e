"""Run every benchmark (``benchmarks/bench_*.py``) and print one summary table.

Each benchmark script is run in its own process with its default sizes, measures its subject
and a baseline in the same run, and writes ``benchmarks/results/<name>.json`` shaped as::

    {"benchmark": "synthetic", "rows": [{"case": ..., "seconds": ..., "peak_gb": ...,
                                          "baseline": ..., "ratio": ..., "target": ...}, ...]}

This script collects those files into ``benchmarks/results/summary.json``. Benchmarks are never
part of ``make test``: timings on a shared machine are reported, not asserted.

Usage: ``python benchmarks/run_all.py [NAME ...]`` (names without ``bench_`` and ``.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _format_row(bench: str, row: dict) -> str:
    def num(key: str, fmt: str) -> str:
        value = row.get(key)
        return format(value, fmt) if isinstance(value, int | float) else "-"

    return (
        f"{bench:<12} {row.get('case', ''):<44} {num('seconds', '10.3f')} {num('peak_gb', '8.2f')}"
        f" {num('ratio', '8.2f')}  {row.get('baseline', '') or ''}  {row.get('target', '') or ''}"
    )


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(script.name)
    summary = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.name != "summary.json":
            summary[path.stem] = json.loads(path.read_text())
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    header = f"{'benchmark':<12} {'case':<44} {'seconds':>10} {'peak GB':>8} {'ratio':>8}"
    print(f"\n{header}  baseline  target")
    for name, result in summary.items():
        for row in result.get("rows", []):
            print(_format_row(name, row))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
