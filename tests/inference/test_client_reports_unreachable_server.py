from __future__ import annotations

import pytest

from inference.client import InferenceClient, InferenceError

from .conftest import _free_port


def test_it_says_which_server_is_not_reachable():
    url = f"http://127.0.0.1:{_free_port()}"
    client = InferenceClient(url, model="any", timeout=2, max_retries=0)
    with pytest.raises(InferenceError, match=f"model server at {url} is not reachable"):
        client.chat([{"role": "user", "content": "hi"}])
    with pytest.raises(InferenceError, match="not reachable"):
        list(client.stream_chat([{"role": "user", "content": "hi"}]))
    assert client.health() is False
