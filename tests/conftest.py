"""Fixture people and real service processes for the suite.

Alice is in HR. Bob is in Engineering. Charlie has no groups and should see only org-wide things.
Carol is an admin: she manages documents, which does not widen what she can read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent

# The suite's property-based tests draw the same examples on every run, so a CI run fails only for
# a change in the code; HYPOTHESIS_PROFILE=explore draws new ones (run it when changing a text
# routine).
hypothesis_settings.register_profile("suite", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

SHARED = ROOT.parent / "shared"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def _search_connection_closed_before_the_database_is_dropped(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Search keeps one connection open on its embedding thread (retrieval.search); it must be
    closed before the test database can be dropped."""
    yield
    from django.db import connection

    from retrieval.search import search_connection_close

    with django_db_blocker.unblock():
        search_connection_close()
        # A session some child process still holds would keep the test database from being
        # dropped (and each run would leave one behind under var/test): end it, and say whose it
        # was, so that a leak stays visible.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, state, left(query, 80) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchall()
            for pid, *_ in others:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        if others:
            warnings.warn(
                f"sessions still open on the test database, ended: {others}", stacklevel=1
            )


@pytest.fixture
def groups(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import Group

    return {name: Group.objects.create(name=name) for name in ("HR", "Engineering")}


@pytest.fixture
def alice(groups):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    user = User.objects.create_user("alice", "alice@example.com", PASSWORD)
    user.groups.add(groups["HR"])
    return user


@pytest.fixture
def bob(groups):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    user = User.objects.create_user("bob", "bob@example.com", PASSWORD)
    user.groups.add(groups["Engineering"])
    return user


@pytest.fixture
def charlie(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_user("charlie", "charlie@example.com", PASSWORD)


@pytest.fixture
def carol(db):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User

    return User.objects.create_superuser("carol", "carol@example.com", PASSWORD)


def database_url_for_children() -> str:
    """A DATABASE_URL pointing child processes at the test database."""
    from django.db import connection

    conf = connection.settings_dict
    host = quote(str(conf["HOST"]), safe="")
    return f"postgresql://{conf['USER']}@{host}:{conf['PORT'] or 5432}/{conf['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that shares the test database and Redis."""
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_for_children(),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_worker(log_path: Path, *, queues: str = "default,ingest") -> subprocess.Popen[bytes]:
    """Start a real Celery worker process on the test database; returns once it answers pings."""
    from assistant.celery import app

    log = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "assistant", "worker", "-Q", queues,
            "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
            "--hostname", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}; see {log_path}")
        if app.control.ping(timeout=0.5):
            return proc
    proc.kill()
    raise RuntimeError(f"worker did not answer within 90 s; see {log_path}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Terminate a child process, killing it if it does not stop in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[subprocess.Popen[bytes]]:  # type: ignore[no-untyped-def]
    """A real Celery worker process consuming both queues against the test database."""
    from assistant.celery import app

    # Tasks left in the queues by an interrupted earlier run would run against this run's rows.
    app.control.purge()
    proc = start_worker(tmp_path_factory.mktemp("worker") / "worker.log")
    yield proc
    stop_process(proc)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 300
) -> None:
    """Poll `url` until it answers (any status), or fail with the process log."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"process exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}"
            )
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log_path.read_text()[-3000:]}")


DEMO_MODEL_DIR = ROOT / "var" / "models" / "smollm2-moe"


@pytest.fixture(scope="session")
def demo_model_dir() -> Path:
    """The demo MoE checkpoint, built once and shared with `make run`."""
    if not (DEMO_MODEL_DIR / "config.json").exists():
        subprocess.run(
            [sys.executable, "-m", "inference", "build-demo", "--out", str(DEMO_MODEL_DIR)],
            cwd=ROOT,
            check=True,
        )
    return DEMO_MODEL_DIR


@pytest.fixture(scope="session")
def model_server(demo_model_dir, tmp_path_factory) -> Iterator[str]:
    """The real inference server with the demo model on INFERENCE_URL; yields that URL."""
    port = int(os.environ["INFERENCE_URL"].rsplit(":", 1)[1])
    log_path = tmp_path_factory.mktemp("model") / "model.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "inference", "serve", "--model", str(demo_model_dir),
            "--host", "127.0.0.1", "--port", str(port),
        ],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = os.environ["INFERENCE_URL"]
    wait_for_http(f"{url}/health", proc, log_path)
    yield url
    stop_process(proc)


@pytest.fixture(scope="session")
def web_server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """The real ASGI web process (uvicorn) on the test database; yields its base URL.

    Tests that use it see its writes only with `@pytest.mark.django_db(transaction=True)`. It reaches
    the demo model at INFERENCE_URL once a test has started the `model_server` fixture.
    """
    port = free_port()
    log_path = tmp_path_factory.mktemp("web") / "web.log"
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "assistant.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
        ],
        cwd=ROOT, env=child_env(**WEB_SERVER_ENV), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/accounts/login/", proc, log_path, timeout=120)
    yield url
    stop_process(proc)


# Extra environment for the `web_server` process; session fixtures that must run first (for
# example one that starts a fake Slack API) may add to it before `web_server` starts.
WEB_SERVER_ENV: dict[str, str] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests first: with `make test`'s parallel processes they start while the quick ones
    run beside them, instead of one of them running alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
