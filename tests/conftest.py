"""Shared fixtures and settings; the PostgreSQL and MariaDB fixtures each start a throw-away
server per session (per pytest-xdist worker that runs their tests).

initdb and postgres refuse to run as root (and mariadbd should not). When the tests run as root,
the server runs as an unprivileged user (``postgres`` or ``mysql``, else ``nobody``) through
``runuser -u <user> --``, in a temporary folder under /tmp owned by that user (pytest's own tmp
folders are private to root). Without the binaries the database tests are skipped, unless ``CI``
is set: then they fail.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# `make test` runs pytest in two processes (pytest-xdist, --dist loadgroup). Tests of a module
# share its expensive fixtures (a whole report run), so a module stays in one process; modules
# listed in SPREAD have independent tests (one report run each) and are spread over both.
SHARED_GROUPS = {"test_hostile_text": "hostile", "test_reports_browser": "hostile"}
"""Modules that share one session fixture (the hostile-text report run) go to one process."""
SPREAD = {"test_real_exports"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups into the node ids
def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        module = item.path.stem  # a test function's module, or a doctest's (no .module)
        if module not in SPREAD:
            item.add_marker(pytest.mark.xdist_group(SHARED_GROUPS.get(module, module)))


# CI replays the same examples every run (a red CI is then reproducible); locally hypothesis
# explores new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

PG_USER = "crm"
PG_PASSWORD = "s3cret-test-password"
PG_DATABASE = "crm_test"


@dataclass(frozen=True)
class PostgresServer:
    """A running test server: ``url`` has no password; ``password`` is given separately."""

    url: str
    password: str
    port: int
    socket_dir: Path
    startup_seconds: float


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as(users: tuple[str, ...] = ("postgres", "nobody")
            ) -> tuple[list[str], int | None, int | None]:
    """Command prefix (and uid/gid) to run server binaries as the first of ``users`` that
    exists, when the tests run as root."""
    if os.geteuid() != 0:
        return [], None, None
    for user in users:
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", user, "--"], entry.pw_uid, entry.pw_gid
        setpriv = shutil.which("setpriv")
        if setpriv:
            return (
                [setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups"],
                entry.pw_uid,
                entry.pw_gid,
            )
    pytest.fail(f"running as root, but no unprivileged user ({'/'.join(users)}) "
                "or runuser/setpriv")


def _missing(reason: str, package: str = "postgresql") -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set, so this is a failure; install {package})")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server on a free port; yield its URL (no password); stop it after."""
    binaries = {name: _pg_bin(name) for name in ("initdb", "pg_ctl", "postgres")}
    if not all(binaries.values()):
        missing = ", ".join(n for n, p in binaries.items() if not p)
        _missing(
            f"PostgreSQL server binaries not found ({missing}); "
            "install the Debian package postgresql (or postgresql-15)"
        )
    prefix, uid, gid = _run_as()
    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="crm-pg-"))
    data, sock, pwfile = base / "data", base / "sock", base / "pwfile"
    sock.mkdir()
    pwfile.write_text(PG_PASSWORD + "\n")
    if uid is not None:
        for path in (base, sock, pwfile):
            os.chown(path, uid, gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    port = _free_port()

    def run(*args: str) -> None:
        proc = subprocess.run(
            [*prefix, *args],
            env=env,
            cwd=base,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            log = base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed:\n{proc.stdout}\n{proc.stderr}\n{tail}")

    run(
        binaries["initdb"],
        "-D",
        str(data),
        "-U",
        PG_USER,
        f"--pwfile={pwfile}",
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--no-sync",
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(
        binaries["pg_ctl"],
        "-D",
        str(data),
        "-l",
        str(base / "server.log"),
        "-o",
        options,
        "-w",
        "-t",
        "60",
        "start",
    )
    try:
        import sqlalchemy as sa

        admin = sa.create_engine(
            sa.URL.create(
                "postgresql+psycopg",
                username=PG_USER,
                password=PG_PASSWORD,
                host="127.0.0.1",
                port=port,
                database="postgres",
            ),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {PG_DATABASE}"))
        admin.dispose()
        url = f"postgresql+psycopg://{PG_USER}@127.0.0.1:{port}/{PG_DATABASE}"
        yield PostgresServer(url, PG_PASSWORD, port, sock, time.perf_counter() - started)
    finally:
        subprocess.run(
            [*prefix, binaries["pg_ctl"], "-D", str(data), "-m", "immediate", "-w", "stop"],
            env=env,
            cwd=base,
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test server's URL (no password); the password is in ``$CRM_DB_PASSWORD``."""
    monkeypatch.setenv("CRM_DB_PASSWORD", postgres_server.password)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return postgres_server.url


# ------------------------------------------------------------------------------------ MariaDB
MY_USER = "crm"
MY_PASSWORD = "s3cret-maria-password"
MY_DATABASE = "crm_test"


@dataclass(frozen=True)
class MariaDBServer:
    """A running MariaDB test server: ``url`` has no password; ``password`` is given separately."""

    url: str
    password: str
    port: int
    socket: Path
    startup_seconds: float

    def engine(self, **kwargs):
        """An engine that writes test tables as the test user (password in the URL)."""
        import sqlalchemy as sa

        return sa.create_engine(sa.make_url(self.url).set(password=self.password), **kwargs)


def _mariadb_bin(*names: str) -> str | None:
    for name in names:
        for found in (shutil.which(name), shutil.which(name, path="/usr/sbin:/usr/bin")):
            if found:
                return found
    return None


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[MariaDBServer]:
    """Start a MariaDB server (Debian's mariadb-server) on a free loopback port and a socket in a
    temporary folder; create the user ``crm`` with a password and the utf8mb4 database
    ``crm_test``; yield its URL (no password); shut it down and delete the folder after."""
    binaries = {
        "mariadb-install-db": _mariadb_bin("mariadb-install-db", "mysql_install_db"),
        "mariadbd": _mariadb_bin("mariadbd", "mysqld"),
        "mariadb-admin": _mariadb_bin("mariadb-admin", "mysqladmin"),
    }
    if not all(binaries.values()):
        missing = ", ".join(n for n, p in binaries.items() if not p)
        _missing(f"MariaDB server binaries not found ({missing}); "
                 "install the Debian package mariadb-server", "mariadb-server")
    try:
        import pymysql
    except ImportError:
        _missing("pymysql is not installed (pip install -e '.[sql]')", "the sql extra")
    prefix, uid, gid = _run_as(("mysql", "nobody"))
    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="crm-mariadb-"))
    data, sock, log = base / "data", base / "mysqld.sock", base / "server.log"
    if uid is not None:
        os.chown(base, uid, gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("MYSQL_PWD", None)
    port = _free_port()

    def tail() -> str:
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    init = subprocess.run(
        [*prefix, binaries["mariadb-install-db"], "--no-defaults", f"--datadir={data}",
         "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
        env=env, cwd=base, capture_output=True, text=True, timeout=120, check=False,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"mariadb-install-db failed:\n{init.stdout[-2000:]}\n{init.stderr[-2000:]}")
    server = subprocess.Popen(
        [*prefix, binaries["mariadbd"], "--no-defaults", f"--datadir={data}", f"--socket={sock}",
         f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={base / 'mariadbd.pid'}",
         f"--log-error={log}", "--skip-name-resolve", "--skip-log-bin",
         "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
         "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=0",
         "--innodb-doublewrite=0"],
        env=env, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    admin = [binaries["mariadb-admin"], "--no-defaults", f"--socket={sock}", "-uroot"]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                root = pymysql.connect(unix_socket=str(sock), user="root", charset="utf8mb4",
                                       autocommit=True)
                break
            except pymysql.err.OperationalError as exc:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mariadbd did not start ({exc}):\n{tail()}")
                time.sleep(0.1)
        with root.cursor() as cur:
            cur.execute(f"CREATE DATABASE {MY_DATABASE} "
                        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            for host in ("127.0.0.1", "localhost"):
                cur.execute(f"CREATE USER '{MY_USER}'@'{host}' IDENTIFIED BY %s", (MY_PASSWORD,))
                # crm_test and any crm_... database (a test makes its own)
                cur.execute(f"GRANT ALL ON `crm\\_%`.* TO '{MY_USER}'@'{host}'")
        root.close()
        url = f"mysql+pymysql://{MY_USER}@127.0.0.1:{port}/{MY_DATABASE}?charset=utf8mb4"
        yield MariaDBServer(url, MY_PASSWORD, port, sock, time.perf_counter() - started)
    finally:
        subprocess.run([*admin, "shutdown"], env=env, cwd=base, capture_output=True,
                       timeout=60, check=False)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # the server's own pid (runuser's child), then runuser
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((base / "mariadbd.pid").read_text()), signal.SIGKILL)
            server.kill()
            server.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def mariadb_url(mariadb_server: MariaDBServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The MariaDB test server's URL (no password); the password is in ``$CRM_DB_PASSWORD``."""
    monkeypatch.setenv("CRM_DB_PASSWORD", mariadb_server.password)
    monkeypatch.delenv("MYSQL_PWD", raising=False)
    return mariadb_server.url


# ------------------------------------------------------------------------------- Spark (local)
def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime (java on PATH or JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the test session; skipped without Java or pyspark, unless
    ``CI=true`` (then the tests fail: the engine seam must be tested on CI)."""
    reason = _spark_missing()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Spark tests cannot run under CI=true: {reason}")
        pytest.skip(reason)
    from crm_analysis.engines import EngineConfig, spark_session

    session = spark_session(EngineConfig("spark", spark_shuffle_partitions=4))
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# ------------------------------------------------------------------ hostile text (issue 20)
@dataclass(frozen=True)
class HostileReport:
    """A whole report run on :mod:`hostile_data`'s export: what went in and what came out."""

    tables: dict
    result: object
    processed: Path


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory) -> HostileReport:
    """Every notebook, through the runner, on an export whose text columns are all hostile.

    Shared by the escaping checks (tests/test_hostile_text.py) and the browser checks
    (tests/test_reports_browser.py), so the suite pays for one run.
    """
    from hostile_data import write_hostile_export

    from crm_analysis.config import PROJECT_ROOT
    from crm_analysis.reports import run_reports

    root = tmp_path_factory.mktemp("hostile")
    tables = write_hostile_export(root / "data" / "raw")
    result = run_reports(notebooks_dir=PROJECT_ROOT / "notebooks", data_dir=root / "data",
                         reports_dir=root / "reports", run_id="hostile", timeout=600)
    failed = {nb.name: nb.error for nb in result.notebooks if nb.status != "ok"}
    assert result.exit_code == 0 and not failed, failed
    return HostileReport(tables, result, result.processed_dir)
