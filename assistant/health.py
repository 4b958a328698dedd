"""Component checks behind /healthz."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import redis
from django.conf import settings
from django.db import connection

from assistant.celery import app as celery_app


def check_database() -> str:
    """`ok` when PostgreSQL answers and has pgvector."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    return "ok" if row else "error: pgvector extension missing (run migrate)"


def check_redis() -> str:
    """`ok` when Redis answers PING."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        return "ok" if client.ping() else "error: no PONG"
    finally:
        client.close()


def check_worker() -> str:
    """`ok` when at least one Celery worker answers a broadcast ping."""
    replies = celery_app.control.ping(timeout=1.0)
    return "ok" if replies else "error: no worker answered"


def check_model() -> str:
    """`ok` when the inference server's /health answers 200."""
    url = settings.INFERENCE_URL.rstrip("/") + "/health"
    response = httpx.get(url, timeout=2.0)
    return "ok" if response.status_code == 200 else f"error: HTTP {response.status_code}"


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
    "model": check_model,
}


def run_checks() -> dict[str, str]:
    """Run every check; a check that raises reports its error instead of failing the others."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
    return results
