from __future__ import annotations

import logging

import pytest


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_each_component(client, celery_worker, settings):
    # No model server listens on this port, so the model must be reported as down.
    settings.INFERENCE_URL = "http://127.0.0.1:9"

    response = client.get("/healthz")

    body = response.json()
    assert body["components"] == {
        "database": "ok",
        "redis": "ok",
        "worker": "ok",
        "model": "error",
    }
    assert response.status_code == 503
    assert body["status"] == "degraded"


@pytest.mark.django_db(transaction=True)
def test_why_a_component_failed_goes_to_the_log_not_the_page(client, settings, caplog):
    # /healthz answers anyone: addresses and driver messages must not reach them.
    settings.INFERENCE_URL = "http://127.0.0.1:9"

    with caplog.at_level(logging.WARNING, logger="assistant.health"):
        response = client.get("/healthz")

    assert b"127.0.0.1" not in response.content
    assert b"Error" not in response.content
    assert set(response.json()["components"].values()) <= {"ok", "error"}
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if record.name == "assistant.health"
    )
    assert "health check model failed" in logged
    assert "ConnectError" in logged or "Connection refused" in logged
