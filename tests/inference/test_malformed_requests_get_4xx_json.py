from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from inference.server import create_app

GOOD_MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def http(tiny_engine):
    with TestClient(create_app(tiny_engine, model_name="tiny-moe")) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": GOOD_MESSAGES, "max_tokens": 0}, "max_tokens"),
        ({"messages": GOOD_MESSAGES, "max_tokens": "ten"}, "max_tokens"),
        ({"messages": GOOD_MESSAGES, "temperature": 9}, "temperature"),
        ({"messages": GOOD_MESSAGES, "top_p": -1}, "top_p"),
        ({"messages": GOOD_MESSAGES, "frequency_penalty": 2.5}, "frequency_penalty"),
        ({"messages": GOOD_MESSAGES, "presence_penalty": "high"}, "presence_penalty"),
        ({"messages": GOOD_MESSAGES, "stop": 3}, "stop"),
        ({"messages": GOOD_MESSAGES, "n": 2}, "n"),
        ({"messages": GOOD_MESSAGES, "stream": "yes"}, "stream"),
    ],
)
def test_it_rejects_a_malformed_body_with_an_openai_error(http, body, param):
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_it_rejects_a_body_that_is_not_json(http):
    response = http.post("/v1/chat/completions", content=b"{not json")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]


def test_it_answers_404_for_an_unknown_model_and_route(http):
    unknown = http.post("/v1/chat/completions", json={"model": "gpt-9", "messages": GOOD_MESSAGES})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "model_not_found"
    assert http.get("/v1/nothing").json()["error"]["message"] == "no such route"
    assert http.get("/v1/chat/completions").status_code == 405
