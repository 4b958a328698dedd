from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_liveness_is_ok_where_readiness_reports_the_model_down(client, settings):
    # Nothing listens here: the model is down.
    settings.INFERENCE_URL = "http://127.0.0.1:9"

    ready = client.get("/healthz")
    live = client.get("/healthz/live")

    assert ready.status_code == 503 and ready.json()["components"]["model"] != "ok"
    assert live.status_code == 200 and live.json() == {"status": "ok"}
