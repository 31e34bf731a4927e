"""SQL ingestion: a large table read from PostgreSQL (or MariaDB), streamed, against a plain dump.

Issue 21, item 2: reading a table of a few million rows does not hold two copies in memory.
A throw-away server is started here (as ``tests/conftest.py`` starts the test servers: initdb /
pg_ctl, or mariadb-install-db / mariadbd, as an unprivileged user when run as root) and one
table shaped like orders (order_id text, customer_id text, order_date timestamp,
amount numeric(12,2), channel text) of ``--rows`` rows (default 3,000,000; ``--quick``
200,000) is loaded from a generated CSV (``COPY ... FROM STDIN`` / ``LOAD DATA LOCAL INFILE``).

Cases, each in its own subprocess (peak memory = the largest sum of RSS over its process tree,
sampled every 50 ms; the database server is not part of that tree), seconds = median of
``--repeats`` (default 1) runs inside it:

- ``dump``: the baseline. PostgreSQL: ``COPY (SELECT ...) TO STDOUT`` through psycopg's
  ``cursor.copy()`` into a file; MariaDB: the ``mariadb --batch --quick`` client writing the
  ``SELECT`` to a file;
- ``reader``: our read of the table (``SqlReader.read``, as ``load_raw`` reads it: reflected,
  fetched in chunks over a server-side cursor, one frame);
- ``plain``: the old read, ``pd.read_sql_query(select(table), conn)`` without streaming (every
  row fetched as Python objects, then the frame).

Rows per second and peak GB for each, ratios to the baseline. Reported, never asserted.
Writes ``benchmarks/results/sql_ingest.json`` (``sql_ingest_mariadb.json`` for ``--db mariadb``).
Usage: ``python benchmarks/bench_sql_ingest.py [--rows N | --quick] [--db postgresql|mariadb]
[--repeats N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import benchlib

ROOT = benchlib.ROOT
DEFAULT_ROWS = 3_000_000
QUICK_ROWS = 200_000
TABLE = "orders"
COLUMNS = "order_id, customer_id, order_date, amount, channel"
USER, PASSWORD, DATABASE = "crm", "bench-password", "crm_bench"

CASES = [
    ("dump", "baseline: dump to a file"),
    ("reader", "SqlReader.read (streamed, chunks)"),
    ("plain", "pd.read_sql_query, not streamed (old)"),
]


# ---------------------------------------------------------------------------------------------
# the server: the tests' throw-away servers (tests/db_servers.py), with a benchmark's settings
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _server(db: str) -> Iterator[str]:
    """A throw-away server of ``db``; yields its URL (no password)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import db_servers

    try:
        if db == "postgresql":
            with db_servers.postgres(user=USER, password=PASSWORD, database=DATABASE,
                                     settings=["shared_buffers=256MB"]) as server:
                yield server.url
        else:
            with db_servers.mariadb(user=USER, password=PASSWORD, database=DATABASE,
                                    settings=["--local-infile=1",
                                              "--innodb-buffer-pool-size=512M"]) as server:
                yield server.url + "&local_infile=1"
    except (db_servers.ServerMissing, db_servers.ServerFailed) as exc:
        raise SystemExit(str(exc)) from exc


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------
def write_csv(path: Path, rows: int, block: int = 500_000) -> None:
    """``rows`` orders as CSV (no header), written in blocks; fixed seed."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(21)
    start = np.datetime64("2021-01-01T00:00:00")
    channels = np.array(["web", "store", "phone", "marketplace"])
    with path.open("w", encoding="utf-8") as out:
        for first in range(0, rows, block):
            n = min(block, rows - first)
            ids = np.arange(first, first + n)
            frame = pd.DataFrame({
                "order_id": np.char.add("O", ids.astype(str)),
                "customer_id": np.char.add("C", rng.integers(0, rows // 8 + 1, n).astype(str)),
                "order_date": start + rng.integers(0, 4 * 365 * 86400, n).astype("m8[s]"),
                "amount": (rng.gamma(2.0, 40.0, n)).round(2),
                "channel": channels[rng.integers(0, len(channels), n)],
            })
            frame.to_csv(out, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S")


def load_table(db: str, url: str, csv: Path) -> None:
    """Create the orders table and fill it from ``csv``."""
    import sqlalchemy as sa

    engine = sa.create_engine(sa.make_url(url).set(password=PASSWORD))
    ddl = (f"CREATE TABLE {TABLE} (order_id VARCHAR(32) PRIMARY KEY, customer_id VARCHAR(32), "
           "order_date TIMESTAMP NULL, amount NUMERIC(12,2), channel VARCHAR(32))")
    if db == "postgresql":
        ddl = ddl.replace("VARCHAR(32)", "TEXT").replace(" NULL,", ",")
    with engine.begin() as conn:
        conn.execute(sa.text(ddl))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if db == "postgresql":
            with cur.copy(f"COPY {TABLE} ({COLUMNS}) FROM STDIN WITH (FORMAT csv)") as copy, \
                    csv.open("rb") as src:
                while block := src.read(1 << 20):
                    copy.write(block)
            cur.execute(f"ANALYZE {TABLE}")
        else:
            cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE {TABLE} FIELDS TERMINATED BY ',' "
                        f"LINES TERMINATED BY '\\n' ({COLUMNS})", (str(csv),))
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# the cases (run in a child process)
# ---------------------------------------------------------------------------------------------
def run_case(case: str, db: str, url: str, out: Path, repeats: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import sqlalchemy as sa

    password_url = sa.make_url(url).set(password=PASSWORD)
    if case == "dump" and db == "postgresql":
        import psycopg

        def fn() -> int:
            with psycopg.connect(host=password_url.host, port=password_url.port, user=USER,
                                 password=PASSWORD, dbname=DATABASE) as pg, \
                    out.open("wb") as dst, pg.cursor() as cur:
                with cur.copy(f"COPY (SELECT {COLUMNS} FROM {TABLE}) TO STDOUT "
                              "WITH (FORMAT csv)") as copy:
                    for block in copy:
                        dst.write(block)
                return cur.rowcount
    elif case == "dump":
        client = shutil.which("mariadb") or shutil.which("mysql")

        def fn() -> int:
            with out.open("wb") as dst:
                subprocess.run([client, "--no-defaults", "-h127.0.0.1",
                                f"-P{password_url.port}", f"-u{USER}", "--batch", "--quick",
                                "--skip-column-names", "-e", f"SELECT {COLUMNS} FROM {TABLE}",
                                DATABASE], stdout=dst, check=True,
                               env={**os.environ, "MYSQL_PWD": PASSWORD})
            with out.open("rb") as src:
                return sum(block.count(b"\n") for block in iter(lambda: src.read(1 << 20), b""))
    elif case == "reader":
        from crm_analysis.io.mapping import TableMapping
        from crm_analysis.io.sources import SqlReader

        def fn() -> int:
            reader = SqlReader(password_url)
            try:
                return len(reader.read("orders", TableMapping(table=TABLE)).frame)
            finally:
                reader.close()
    elif case == "plain":
        import pandas as pd

        def fn() -> int:
            engine = sa.create_engine(password_url)
            try:
                with engine.connect() as conn:
                    table = sa.Table(TABLE, sa.MetaData(), autoload_with=conn)
                    return len(pd.read_sql_query(sa.select(table), conn))
            finally:
                engine.dispose()
    else:
        raise ValueError(case)
    times, rows = [], 0
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(times), "all": times, "rows": rows}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None,
                        help=f"rows in the table (default {DEFAULT_ROWS:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    parser.add_argument("--db", choices=["postgresql", "mariadb"], default="postgresql")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(args.case, args.db, args.url, args.out, args.repeats)))
        return 0
    rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    name = "sql_ingest" if args.db == "postgresql" else "sql_ingest_mariadb"

    base = Path(tempfile.mkdtemp(prefix="crm-bench-sql-"))
    results: dict[str, dict] = {}
    failures = []
    try:
        csv = base / "orders.csv"
        t0 = time.perf_counter()
        write_csv(csv, rows)
        generate_s = time.perf_counter() - t0
        if os.geteuid() == 0:
            os.chmod(csv, 0o644)
        with _server(args.db) as url:
            t0 = time.perf_counter()
            load_table(args.db, url, csv)
            load_s = time.perf_counter() - t0
            csv_mb = csv.stat().st_size / 1e6
            csv.unlink()
            print(f"sql_ingest ({args.db}): {rows:,} rows, CSV {csv_mb:,.0f} MB generated in "
                  f"{generate_s:.1f} s, loaded in {load_s:.1f} s", flush=True)
            for key, label in CASES:
                run = benchlib.measure(
                    [sys.executable, __file__, "--case", key, "--db", args.db, "--url", url,
                     "--out", str(base / "dump.txt"), "--repeats", str(args.repeats)])
                with contextlib.suppress(FileNotFoundError):
                    (base / "dump.txt").unlink()
                if run["returncode"] != 0:
                    failures.append(key)
                    results[key] = {"error": benchlib.tail(run["stderr"]),
                                    "exit_code": run["returncode"], "peak_gb": run["peak_gb"]}
                    print(f"{label:<40} FAILED (exit {run['returncode']})\n"
                          f"{benchlib.tail(run['stderr'], 5)}", flush=True)
                    continue
                res = {**benchlib.last_json(run["stdout"]), "peak_gb": run["peak_gb"]}
                results[key] = res
                print(f"{label:<40} {res['seconds']:8.2f} s {res['rows'] / res['seconds']:>11,.0f}"
                      f" rows/s {run['peak_gb']:6.2f} GB", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    base_res = results.get("dump", {})
    out_rows = []
    for key, label in CASES:
        res = results[key]
        seconds = res.get("seconds")
        row = {
            "case": f"{label}, {args.db}, {rows:,} rows",
            "seconds": None if seconds is None else round(seconds, 3),
            "peak_gb": round(res["peak_gb"], 3),
            "rows_per_s": round(res["rows"] / seconds) if seconds else None,
            "baseline": "COPY ... TO STDOUT into a file" if args.db == "postgresql"
            else "mariadb --batch --quick SELECT into a file",
            "ratio": round(seconds / base_res["seconds"], 3)
            if seconds and base_res.get("seconds") else None,
            "peak_ratio": round(res["peak_gb"] / base_res["peak_gb"], 3)
            if base_res.get("peak_gb") else None,
            "target": None,
            "rows_read": res.get("rows"),
            "all_seconds": [round(t, 3) for t in res.get("all", [])],
        }
        if "error" in res:
            row.update(error=res["error"], exit_code=res["exit_code"])
        out_rows.append(row)
    if results.get("reader", {}).get("peak_gb") and results.get("plain", {}).get("peak_gb"):
        print(f"peak memory, streamed / plain read: "
              f"{results['reader']['peak_gb'] / results['plain']['peak_gb']:.2f}")
    result = {
        "benchmark": name,
        "db": args.db,
        "table_rows": rows,
        "repeats": args.repeats,
        "machine": benchlib.machine(),
        "data": {"generate_s": round(generate_s, 3), "load_s": round(load_s, 3),
                 "csv_mb": round(csv_mb, 1)},
        "rows": out_rows,
    }
    print(f"written {benchlib.write_result(name, result)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
