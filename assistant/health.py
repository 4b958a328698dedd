"""Component checks behind /healthz.

/healthz answers anyone, so it says only `ok` or `error` per component; why a component failed
(hosts, ports, driver messages) goes to the server log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import redis
from django.conf import settings
from django.db import connection

from assistant.celery import app as celery_app

logger = logging.getLogger(__name__)


class ComponentDown(Exception):
    """A component answered, but not as it should; the message says how."""


def check_database() -> None:
    """PostgreSQL answers and has pgvector."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if not row:
        raise ComponentDown("pgvector extension missing (run migrate)")


def check_redis() -> None:
    """Redis answers PING."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        if not client.ping():
            raise ComponentDown("no PONG")
    finally:
        client.close()


def check_worker() -> None:
    """At least one Celery worker answers a broadcast ping.

    The ping goes over a connection of its own: a pooled one left idle for minutes after other
    control calls can be dropped by kombu as stale while the answer is on its way, and the page then
    said "no worker answered" of a worker that had answered."""
    with celery_app.connection_for_write() as connection:
        answered = celery_app.control.ping(timeout=1.0, connection=connection)
    if not answered:
        raise ComponentDown("no worker answered")


def check_model() -> None:
    """The inference server's /health answers 200."""
    url = settings.INFERENCE_URL.rstrip("/") + "/health"
    response = httpx.get(url, timeout=2.0)
    if response.status_code != 200:
        raise ComponentDown(f"{url} answered HTTP {response.status_code}")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "model": check_model,
}


def run_checks() -> dict[str, str]:
    """`ok` or `error` for each component; a check that fails does not stop the others."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except ComponentDown as exc:
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = "error"
        except Exception:
            logger.exception("health check %s failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results
