"""Start-up configuration: production settings are deployable, bad values stop with one line."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

PRODUCTION = {
    "ASSISTANT_ENV": "production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-for-the-check-0123456789",
    "DJANGO_ALLOWED_HOSTS": "assistant.example.com",
    "DATABASE_URL": "postgresql://assistant@db.example.com/assistant",
    "REDIS_URL": "redis://redis.example.com:6379/0",
}


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_without_a_secret_key_stops_with_one_clear_line():
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": ""}

    result = run_manage("check", **env)

    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: DJANGO_SECRET_KEY must be set"


def test_a_malformed_boolean_names_the_variable():
    result = run_manage("check", **{**PRODUCTION, "DJANGO_DEBUG": "maybe"})

    assert result.returncode == 2
    assert "DJANGO_DEBUG='maybe' is not a valid boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_database_url_names_the_variable():
    result = run_manage("check", **{**PRODUCTION, "DATABASE_URL": "mysql//nope"})

    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_negative_document_weight_names_the_variable():
    result = run_manage("check", **{**PRODUCTION, "RETRIEVAL_DOCUMENT_WEIGHT": "-1"})

    assert result.returncode == 2
    assert "RETRIEVAL_DOCUMENT_WEIGHT must be 0 or more" in result.stderr
    assert "Traceback" not in result.stderr
