from __future__ import annotations

import pytest


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_each_component(client, celery_worker, settings):
    # No model server listens on this port, so the model must be reported as down.
    settings.INFERENCE_URL = "http://127.0.0.1:9"

    response = client.get("/healthz")

    body = response.json()
    assert set(body["components"]) == {"database", "redis", "worker", "model"}
    assert body["components"]["database"] == "ok"
    assert body["components"]["redis"] == "ok"
    assert body["components"]["worker"] == "ok"
    assert body["components"]["model"].startswith("error")
    assert response.status_code == 503
    assert body["status"] == "degraded"
