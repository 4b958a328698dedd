from __future__ import annotations

import pytest

from .conftest import bearer


@pytest.mark.django_db
def test_models_lists_the_one_assistant_model_and_retrieves_it(client, alice, token_for):
    raw = token_for(alice)

    listed = client.get("/v1/models", **bearer(raw)).json()
    one = client.get("/v1/models/assistant", **bearer(raw))
    other = client.get("/v1/models/gpt-4o", **bearer(raw))

    assert listed["object"] == "list"
    assert [m["id"] for m in listed["data"]] == ["assistant"]
    assert listed["data"][0]["object"] == "model"
    assert one.json() == listed["data"][0]
    assert other.status_code == 404 and other.json()["error"]["code"] == "model_not_found"
