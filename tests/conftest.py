"""Shared fixtures and settings; the PostgreSQL and MariaDB fixtures each start a throw-away
server per session (per pytest-xdist worker that runs their tests) through :mod:`db_servers`,
which the benchmarks use too. Without the binaries the database tests are skipped, unless ``CI``
is set: then they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import db_servers
import pytest
from db_servers import Server, ServerFailed, ServerMissing
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
MY_USER = "crm"
MY_PASSWORD = "s3cret-maria-password"
MY_DATABASE = "crm_test"


def _missing(reason: str, package: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set, so this is a failure; install {package})")
    pytest.skip(reason)


@contextlib.contextmanager
def _started(server: contextlib.AbstractContextManager[Server]) -> Iterator[Server]:
    """A server of :mod:`db_servers`: missing binaries skip (fail under CI), a failed start
    fails."""
    try:
        with server as running:
            yield running
    except ServerMissing as exc:
        _missing(str(exc), exc.package)
    except ServerFailed as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """Start a PostgreSQL server on a free port; yield its URL (no password); stop it after."""
    with _started(db_servers.postgres(user=PG_USER, password=PG_PASSWORD,
                                      database=PG_DATABASE)) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test server's URL (no password); the password is in ``$CRM_DB_PASSWORD``."""
    monkeypatch.setenv("CRM_DB_PASSWORD", postgres_server.password)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return postgres_server.url


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[Server]:
    """Start a MariaDB server (Debian's mariadb-server) with the user ``crm`` and the utf8mb4
    database ``crm_test``; yield its URL (no password); shut it down after."""
    with _started(db_servers.mariadb(user=MY_USER, password=MY_PASSWORD,
                                     database=MY_DATABASE)) as server:
        yield server


@pytest.fixture
def mariadb_url(mariadb_server: Server, monkeypatch: pytest.MonkeyPatch) -> str:
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
