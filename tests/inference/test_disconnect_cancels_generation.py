from __future__ import annotations

import httpx

from .conftest import wait_until


def test_closing_a_stream_stops_the_generation(http_server):
    engine = http_server.engine
    body = {
        "messages": [{"role": "user", "content": "Write a very long story."}],
        "max_tokens": 200,
        "stream": True,
    }
    with (
        httpx.Client(timeout=30) as http,
        http.stream("POST", f"{http_server.url}/v1/chat/completions", json=body) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        received = [line for line, _ in zip(lines, range(4), strict=False) if line]
        assert received
    assert wait_until(lambda: engine.stats.requests_cancelled == 1)
    assert engine.stats.active == 0 or wait_until(lambda: engine.stats.active == 0)
    assert engine.stats.tokens_generated < 200


def test_the_engine_stops_a_cancelled_request(tiny_engine):
    from inference.sampling import SamplingParams

    handle = tiny_engine.submit([1, 2, 3], SamplingParams(max_tokens=250, ignore_eos=True))
    handle.cancel()
    result = tiny_engine.collect(handle)
    assert result.finish_reason == "cancelled"
    assert result.completion_tokens < 250
