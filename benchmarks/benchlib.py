"""Helpers shared by the benchmark scripts (not a benchmark itself: ``run_all`` runs ``bench_*``).

- :func:`measure`: run a command in a subprocess and sample the summed RSS of its whole process
  tree every 50 ms (children such as notebook kernels included), as ``bench_engines`` does.
- :func:`ensure_dataset`: one synthetic raw data set, generated once and written as CSV *and*
  Parquet (``<dir>/csv``, ``<dir>/parquet``; each a ``crm_analysis.io.load_raw`` folder with its
  ``mapping.yaml``), with ``<dir>/dataset.json`` recording how long generating and writing took.
  A folder that already holds a data set is reused, so ``run_all`` can build one set and pass it
  to several benchmarks with ``--data DIR``.

``python benchmarks/benchlib.py build --customers N --out DIR`` builds a data set by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FORMATS = ("csv", "parquet")
DATASET_FILE = "dataset.json"
SAMPLE_SECONDS = 0.05


# ---------------------------------------------------------------------------------------------
# measuring a subprocess
# ---------------------------------------------------------------------------------------------
def measure(
    cmd: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float | None = None,
    phase_of: Callable[[str], str | None] | None = None,
    echo: bool | Callable[[str], bool] = False,
) -> dict:
    """Run ``cmd``; wall seconds, exit code, output and peak RSS of its process tree.

    Peak memory is the largest sum of RSS over the process and all its descendants, sampled
    every 50 ms. ``phase_of`` is called with every stderr line; when it returns a name, samples
    from then on are also counted towards that phase's peak (``peak_gb_by_phase``). After
    ``timeout`` seconds the whole tree is killed (``timed_out`` true, exit code negative).
    ``echo``: copy the child's lines to stderr as they come (all, or those it accepts).
    """
    import psutil

    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    start = time.perf_counter()
    out_lines: list[str] = []
    err_lines: list[str] = []
    state = {"phase": None}
    phase_peaks: dict[str, int] = {}

    def pump(stream, lines: list[str], parse: bool) -> None:
        for line in stream:
            lines.append(line)
            if echo is True or (callable(echo) and echo(line)):
                sys.stderr.write(line)
                sys.stderr.flush()
            if parse and phase_of is not None:
                phase = phase_of(line)
                if phase is not None:
                    state["phase"] = phase

    readers = [
        threading.Thread(target=pump, args=(proc.stdout, out_lines, False), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, err_lines, True), daemon=True),
    ]
    for reader in readers:
        reader.start()
    parent, peak, timed_out = psutil.Process(proc.pid), 0, False
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            rss = 0
            for p in tree:
                with contextlib.suppress(psutil.Error):  # it may just have ended
                    rss += p.memory_info().rss
            peak = max(peak, rss)
            phase = state["phase"]
            if phase is not None:
                phase_peaks[phase] = max(phase_peaks.get(phase, 0), rss)
        except psutil.Error:
            pass
        if timeout is not None and time.perf_counter() - start > timeout:
            timed_out = True
            kill_tree(parent)
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    for reader in readers:
        reader.join(timeout=10)
    return {
        "returncode": proc.returncode,
        "seconds": seconds,
        "peak_gb": peak / 1e9,
        "peak_gb_by_phase": {k: v / 1e9 for k, v in phase_peaks.items()},
        "timed_out": timed_out,
        "last_phase": state["phase"],
        "stdout": "".join(out_lines),
        "stderr": "".join(err_lines),
    }


def kill_tree(parent) -> None:
    """Kill ``parent`` (a ``psutil.Process``) and every descendant, children first."""
    import psutil

    try:
        procs = [*parent.children(recursive=True), parent]
    except psutil.Error:
        procs = [parent]
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()


_NOISE = ("FutureWarning: PySpark does not yet", "require_minimum_pandas_version()")


def tail(text: str, lines: int = 15) -> str:
    """The last ``lines`` lines of ``text`` (pyspark's import warning left out)."""
    kept = [line for line in text.rstrip().splitlines() if not line.strip().endswith(_NOISE)
            and _NOISE[0] not in line]
    return "\n".join(kept[-lines:])


def last_json(stdout: str) -> dict:
    """The JSON object on the last line of a child's stdout."""
    return json.loads(stdout.strip().splitlines()[-1])


def write_result(name: str, result: dict) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically; returns its path."""
    sys.path.insert(0, str(ROOT))
    from crm_analysis.atomic import atomic_path

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path


def machine() -> dict:
    """Python version, platform and CPU count, recorded with every result."""
    import platform

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


# ---------------------------------------------------------------------------------------------
# the shared data set
# ---------------------------------------------------------------------------------------------
def dataset_info(folder: Path) -> dict | None:
    """The ``dataset.json`` of a data set folder, or None if the folder holds no data set."""
    path = Path(folder) / DATASET_FILE
    if not path.is_file():
        return None
    info = json.loads(path.read_text(encoding="utf-8"))
    if not all((Path(folder) / fmt / "mapping.yaml").is_file() for fmt in info["formats"]):
        return None
    return info


def _folder_bytes(folder: Path) -> int:
    """Bytes of the raw tables (files directly in ``folder``; ``_truth/`` not counted)."""
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def _build(customers: int, out: Path, formats: Sequence[str]) -> dict:
    """Generate once and write every format (runs in the child process)."""
    import resource

    sys.path.insert(0, str(ROOT))
    from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

    t0 = time.perf_counter()
    data = generate(SyntheticConfig(n_customers=customers))
    generate_s = time.perf_counter() - t0
    write_s = {}
    for fmt in formats:
        t0 = time.perf_counter()
        write_dataset(data, out / fmt, fmt=fmt, overwrite=True)
        write_s[fmt] = time.perf_counter() - t0
    return {
        "customers": customers,
        "seed": data.config.seed,
        "formats": list(formats),
        "generate_s": generate_s,
        "write_s": write_s,
        "rows": {name: len(frame) for name, frame in data.tables.items()},
        "bytes": {fmt: _folder_bytes(out / fmt) for fmt in formats},
        "child_max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
    }


def ensure_dataset(
    folder: Path, customers: int | None, formats: Sequence[str] = FORMATS, default: int = 1_000_000
) -> dict:
    """The data set in ``folder``: reused if it is there, else generated (in a subprocess).

    A folder that already holds a data set is reused whatever its size (its ``customers`` is in
    the returned info; a note is printed if ``customers`` asked for another size); a data set
    lacking one of ``formats`` is rebuilt. A new one has ``customers`` (or ``default``).
    """
    folder = Path(folder)
    info = dataset_info(folder)
    if info is not None and set(formats) <= set(info["formats"]):
        if customers is not None and info["customers"] != customers:
            print(f"reusing {folder}: {info['customers']:,} customers (not {customers:,})",
                  file=sys.stderr)
        return {**info, "reused": True}
    customers = customers or default
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {customers:,} customers into {folder} ({', '.join(formats)}) ...",
          file=sys.stderr, flush=True)
    run = measure([sys.executable, __file__, "build", "--customers", str(customers),
                   "--out", str(folder), "--formats", ",".join(formats), "--child"])
    if run["returncode"] != 0:
        sys.stderr.write(tail(run["stderr"], 30) + "\n")
        raise SystemExit(f"building the data set failed ({run['returncode']})")
    info = last_json(run["stdout"])
    info.update(seconds=run["seconds"], peak_gb=run["peak_gb"], folder=str(folder))
    (folder / DATASET_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(f"data set built in {run['seconds']:.1f} s (generate {info['generate_s']:.1f} s, "
          + ", ".join(f"write {k} {v:.1f} s" for k, v in info["write_s"].items())
          + f"), peak {run['peak_gb']:.2f} GB", file=sys.stderr, flush=True)
    return {**info, "reused": False}


def dataset_row(info: dict) -> dict:
    """A result row for building the data set (reported apart from the timed runs)."""
    formats = " + ".join(f.upper() if f == "csv" else f.capitalize() for f in info["formats"])
    return {
        "case": f"data: generate + write {formats}, {info['customers']:,} cust.",
        "seconds": round(info["seconds"], 3),
        "peak_gb": round(info["peak_gb"], 3),
        "baseline": None,
        "ratio": None,
        "target": None,
        "generate_s": round(info["generate_s"], 3),
        "write_s": {k: round(v, 3) for k, v in info["write_s"].items()},
        "reused": info.get("reused", False),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="build a benchmark data set")
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    formats = args.formats.split(",")
    if args.child:
        print(json.dumps(_build(args.customers, args.out, formats)))
    else:
        print(json.dumps(ensure_dataset(args.out, args.customers, formats), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
