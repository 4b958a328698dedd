from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from moderation import Action, check, load_policy
from moderation.llm_guard import GuardResponseError, parse_guard_reply


class FakeGuard(BaseHTTPRequestHandler):
    """Answers every chat completion like Llama Guard does for a violent request."""

    seen: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeGuard.seen.append(body)
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "unsafe\nS1"},
                    "finish_reason": "stop",
                }
            ],
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def guard_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGuard)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setenv("MODERATION_LLM_GUARD_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_an_unsafe_reply_blocks_the_message(guard_url: str) -> None:
    verdict = check("a message", stage="input", policy=load_policy({"detectors": ["llm_guard"]}))
    assert verdict.errors == ()
    assert verdict.action is Action.BLOCK
    assert verdict.categories == ("violence_and_threats",)
    assert FakeGuard.seen[-1]["messages"] == [{"role": "user", "content": "a message"}]


def test_the_guard_is_off_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODERATION_LLM_GUARD_URL", raising=False)
    verdict = check("a message", stage="input", policy=load_policy({"detectors": ["llm_guard"]}))
    assert verdict.action is Action.ALLOW


def test_an_unreachable_guard_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_LLM_GUARD_URL", "http://127.0.0.1:9/v1")
    verdict = check("a message", stage="output", policy=load_policy({"detectors": ["llm_guard"]}))
    assert verdict.blocked and verdict.errors


def test_guard_replies_are_parsed_into_categories() -> None:
    assert parse_guard_reply("safe") == {}
    assert parse_guard_reply("unsafe\nS10,S11") == {
        "hate_and_discrimination": 1.0,
        "selfharm": 1.0,
    }
    with pytest.raises(GuardResponseError):
        parse_guard_reply("I cannot help with that")
