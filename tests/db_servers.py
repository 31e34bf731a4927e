"""Throw-away database servers for the tests and the benchmarks: PostgreSQL and MariaDB.

Each context manager starts a server from Debian's binaries in a temporary folder under /tmp,
on a free loopback port and a socket, creates a user with a password and a database, yields a
:class:`Server` whose URL carries no password, and stops the server and deletes the folder at
the end.

initdb and postgres refuse to run as root (and mariadbd should not). As root, the server runs as
an unprivileged user (``postgres`` or ``mysql``, else ``nobody``) through ``runuser -u <user> --``
(or ``setpriv``), in a folder owned by that user. Missing binaries raise :class:`ServerMissing`
(the tests skip, or fail under ``CI``); a server that does not start raises
:class:`ServerFailed` with the end of its log.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Server", "ServerFailed", "ServerMissing", "mariadb", "postgres"]


class ServerMissing(RuntimeError):
    """The server's binaries (or its driver) are not installed; ``package`` installs them."""

    def __init__(self, reason: str, package: str) -> None:
        super().__init__(reason)
        self.package = package


class ServerFailed(RuntimeError):
    """The server was found but did not start (the message ends with its log)."""


@dataclass(frozen=True)
class Server:
    """A running server: ``url`` has no password; ``password`` is given separately."""

    url: str
    password: str
    port: int
    socket: Path
    startup_seconds: float

    def engine(self, **kwargs: Any) -> Any:
        """A SQLAlchemy engine with the password in its URL (to write test tables)."""
        import sqlalchemy as sa

        return sa.create_engine(sa.make_url(self.url).set(password=self.password), **kwargs)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as(users: tuple[str, ...]) -> tuple[list[str], int | None, int | None]:
    """Command prefix (and uid/gid) to run server binaries as the first of ``users`` that
    exists, when we are root."""
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
            return ([setpriv, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
                     "--clear-groups"], entry.pw_uid, entry.pw_gid)
    raise ServerFailed(f"running as root, but no unprivileged user ({'/'.join(users)}) "
                       "or runuser/setpriv")


def _binary(name: str, *patterns: str) -> str | None:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found:
        return found
    candidates = sorted((p for pattern in patterns for p in glob.glob(pattern)), reverse=True)
    return candidates[0] if candidates else None


def _first(*names: str) -> str | None:
    return next((found for name in names if (found := _binary(name))), None)


def _require(binaries: dict[str, str | None], package: str) -> dict[str, str]:
    missing = [name for name, path in binaries.items() if not path]
    if missing:
        raise ServerMissing(f"server binaries not found ({', '.join(missing)}); install the "
                            f"Debian package {package}", package)
    return binaries  # type: ignore[return-value]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else ""


@contextlib.contextmanager
def postgres(*, user: str, password: str, database: str,
             settings: Sequence[str] = ()) -> Iterator[Server]:
    """A PostgreSQL server with ``user`` (password auth over TCP) and ``database``.

    ``settings``: more ``-c name=value`` server settings (e.g. ``shared_buffers=256MB``).
    """
    found = {name: _binary(name, f"/usr/lib/postgresql/*/bin/{name}")
             for name in ("initdb", "pg_ctl", "postgres")}
    binaries = _require(found, "postgresql")
    prefix, uid, gid = _run_as(("postgres", "nobody"))
    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="crm-pg-"))
    data, sock, pwfile, log = base / "data", base / "sock", base / "pwfile", base / "server.log"
    sock.mkdir()
    pwfile.write_text(password + "\n")
    if uid is not None:
        for path in (base, sock, pwfile):
            os.chown(path, uid, gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    port = _free_port()

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], env=env, cwd=base, capture_output=True,
                              text=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise ServerFailed(f"{' '.join(args[:2])} failed:\n{proc.stdout}\n{proc.stderr}\n"
                               f"{_tail(log)}")

    try:
        run(binaries["initdb"], "-D", str(data), "-U", user, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync")
        options = " ".join([f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
                            *(f"-c {setting}" for setting in settings)])
        run(binaries["pg_ctl"], "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
            "start")
        try:
            import sqlalchemy as sa

            admin = sa.create_engine(
                sa.URL.create("postgresql+psycopg", username=user, password=password,
                              host="127.0.0.1", port=port, database="postgres"),
                isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {database}"))
            admin.dispose()
            yield Server(f"postgresql+psycopg://{user}@127.0.0.1:{port}/{database}", password,
                         port, sock, time.perf_counter() - started)
        finally:
            subprocess.run([*prefix, binaries["pg_ctl"], "-D", str(data), "-m", "immediate",
                            "-w", "stop"], env=env, cwd=base, capture_output=True, timeout=60,
                           check=False)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def mariadb(*, user: str, password: str, database: str,
            settings: Sequence[str] = ()) -> Iterator[Server]:
    """A MariaDB server with ``user`` (from 127.0.0.1 and localhost) and the utf8mb4
    ``database``; the user may also create databases whose names start with ``crm_``.

    ``settings``: more ``mariadbd`` options (e.g. ``--innodb-buffer-pool-size=512M``).
    """
    found = {"mariadb-install-db": _first("mariadb-install-db", "mysql_install_db"),
             "mariadbd": _first("mariadbd", "mysqld"),
             "mariadb-admin": _first("mariadb-admin", "mysqladmin")}
    binaries = _require(found, "mariadb-server")
    try:
        import pymysql
    except ImportError:
        raise ServerMissing("pymysql is not installed (pip install -e '.[sql]')",
                            "the sql extra") from None
    prefix, uid, gid = _run_as(("mysql", "nobody"))
    started = time.perf_counter()
    base = Path(tempfile.mkdtemp(prefix="crm-mariadb-"))
    data, sock, log = base / "data", base / "mysqld.sock", base / "server.log"
    if uid is not None:
        os.chown(base, uid, gid)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    env.pop("MYSQL_PWD", None)
    port = _free_port()
    try:
        init = subprocess.run(
            [*prefix, binaries["mariadb-install-db"], "--no-defaults", f"--datadir={data}",
             "--auth-root-authentication-method=normal", "--skip-test-db",
             "--skip-name-resolve"],
            env=env, cwd=base, capture_output=True, text=True, timeout=120, check=False)
        if init.returncode != 0:
            raise ServerFailed(f"mariadb-install-db failed:\n{init.stdout[-2000:]}\n"
                               f"{init.stderr[-2000:]}")
        server = subprocess.Popen(
            [*prefix, binaries["mariadbd"], "--no-defaults", f"--datadir={data}",
             f"--socket={sock}", f"--port={port}", "--bind-address=127.0.0.1",
             f"--pid-file={base / 'mariadbd.pid'}", f"--log-error={log}",
             "--skip-name-resolve", "--skip-log-bin", "--character-set-server=utf8mb4",
             "--collation-server=utf8mb4_unicode_ci", "--innodb-buffer-pool-size=64M",
             "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", *settings],
            env=env, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    root = pymysql.connect(unix_socket=str(sock), user="root",
                                           charset="utf8mb4", autocommit=True)
                    break
                except pymysql.err.OperationalError as exc:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise ServerFailed(
                            f"mariadbd did not start ({exc}):\n{_tail(log)}") from exc
                    time.sleep(0.1)
            with root.cursor() as cur:
                cur.execute(f"CREATE DATABASE {database} "
                            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                for host in ("127.0.0.1", "localhost"):
                    cur.execute(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY %s", (password,))
                    cur.execute(f"GRANT ALL ON `{database}`.* TO '{user}'@'{host}'")
                    # any crm_... database too (a test makes its own)
                    cur.execute(f"GRANT ALL ON `crm\\_%`.* TO '{user}'@'{host}'")
            root.close()
            yield Server(f"mysql+pymysql://{user}@127.0.0.1:{port}/{database}?charset=utf8mb4",
                         password, port, sock, time.perf_counter() - started)
        finally:
            subprocess.run([binaries["mariadb-admin"], "--no-defaults", f"--socket={sock}",
                            "-uroot", "shutdown"], env=env, cwd=base, capture_output=True,
                           timeout=60, check=False)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # the server's own pid (runuser's child), then it
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int((base / "mariadbd.pid").read_text()), signal.SIGKILL)
                server.kill()
                server.wait(timeout=10)
    finally:
        shutil.rmtree(base, ignore_errors=True)
