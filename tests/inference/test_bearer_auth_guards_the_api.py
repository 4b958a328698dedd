from __future__ import annotations

import httpx
import pytest

from inference.client import InferenceClient, InferenceError

from .conftest import LiveServer


def test_only_requests_with_the_key_get_answers(tiny_engine):
    with LiveServer(tiny_engine, api_key="s3cret") as server:
        denied = httpx.get(f"{server.url}/v1/models")
        assert denied.status_code == 401
        assert denied.json()["error"]["code"] == "invalid_api_key"
        assert httpx.get(f"{server.url}/health").status_code == 200
        with pytest.raises(InferenceError, match="rejected the API key"):
            InferenceClient(server.url, api_key="wrong").models()
        assert InferenceClient(server.url, api_key="s3cret").models() == ["tiny-moe"]
