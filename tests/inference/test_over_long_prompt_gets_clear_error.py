from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from inference.engine import ContextLengthError
from inference.server import create_app

TOO_LONG = [{"role": "user", "content": "word " * 400}]  # the tiny engine's window is 256


def test_the_engine_refuses_a_prompt_longer_than_its_context(tiny_engine):
    with pytest.raises(ContextLengthError, match="context window is 256 tokens"):
        tiny_engine.submit(tiny_engine.prompt_ids(TOO_LONG))


def test_the_server_answers_400_context_length_exceeded(tiny_engine):
    with TestClient(create_app(tiny_engine, model_name="tiny-moe")) as http:
        response = http.post("/v1/chat/completions", json={"messages": TOO_LONG})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "context_length_exceeded"
    assert "context window is 256 tokens" in error["message"]


def test_the_client_raises_a_context_length_error(http_server):
    from inference.client import ContextLengthError as ClientContextLengthError
    from inference.client import InferenceClient

    with pytest.raises(ClientContextLengthError, match="context window"):
        InferenceClient(http_server.url).chat(TOO_LONG)


def test_generation_stops_at_the_end_of_the_context(tiny_engine):
    from inference.sampling import SamplingParams

    prompt = list(range(100, 350))  # 250 of 256 tokens
    result = tiny_engine.collect(
        tiny_engine.submit(prompt, SamplingParams(max_tokens=50, ignore_eos=True))
    )
    assert result.finish_reason == "length"
    assert result.completion_tokens == 6
