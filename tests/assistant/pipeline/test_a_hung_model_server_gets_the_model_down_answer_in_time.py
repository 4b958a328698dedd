"""A model server that hangs costs an answer one INFERENCE_TIMEOUT, not a multiple of it.

The fake servers below accept connections and then misbehave the ways real ones do: say nothing,
send headers and then nothing, or trickle keep-alive bytes forever (each read then succeeds, so a
per-read timeout alone never fires). The pipeline must answer MODEL_DOWN, and the server must see
the request at most twice (the one retry).
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

import moderation
from assistant import pipeline
from assistant.models import Message

from .conftest import passage

TIMEOUT = 2.0
MODELS = json.dumps({"object": "list", "data": [{"id": "hung", "object": "model"}]}).encode()


class HungServer:
    """A loopback HTTP server; `mode` says what happens to requests that should hang."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.hung_requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(0.2)
            buffer = b""
            while not self._stop.is_set():
                if self.mode == "silent":
                    # Accepted and never answered, whatever is asked.
                    self.hung_requests += 1
                    self._stop.wait()
                    return
                head, buffer = self._request(conn, buffer)
                if head is None:
                    return
                if head.startswith(b"GET /v1/models"):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(MODELS)}\r\n\r\n".encode()
                        + MODELS
                    )
                    continue
                self.hung_requests += 1
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n"
                )
                while not self._stop.wait(0.3):
                    if self.mode == "trickle":
                        try:
                            conn.sendall(b"3\r\n:\n\n\r\n")  # an SSE comment: no data, no end
                        except OSError:
                            return
                return

    def _request(self, conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
        while b"\r\n\r\n" not in buffer:
            try:
                data = conn.recv(65536)
            except TimeoutError:
                if self._stop.is_set():
                    return None, b""
                continue
            except OSError:
                return None, b""
            if not data:
                return None, b""
            buffer += data
        head, _, rest = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += conn.recv(65536)
        return head, rest[length:]

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sock.close()


@pytest.fixture
def warm_moderation() -> None:
    # Loading the classifiers takes a while once per process; it is not what is timed here.
    moderation.check("How long is parental leave?", stage=moderation.Stage.INPUT)


@pytest.fixture(params=["silent", "headers_then_silence", "trickle"])
def hung_server(request: pytest.FixtureRequest, settings) -> Iterator[HungServer]:  # type: ignore[no-untyped-def]
    server = HungServer(request.param)
    settings.INFERENCE_URL = server.url
    settings.INFERENCE_TIMEOUT = TIMEOUT
    settings.INFERENCE_MODEL = ""
    pipeline.default_chat_model.cache_clear()
    yield server
    pipeline.default_chat_model.cache_clear()
    server.close()


# The acceptance bound: the "model down" answer within INFERENCE_TIMEOUT + 10 s.
@pytest.mark.timeout(TIMEOUT + 10, func_only=True)
def test_the_answer_is_model_down_after_at_most_one_retry(alice, warm_moderation, hung_server):
    leave = passage(1, "Every employee may take 20 weeks of fully paid parental leave.")

    result = pipeline.answer(
        user=alice,
        question="How long is parental leave?",
        retriever=lambda *, user, query, k: [leave],
    )

    assert result.message.status == Message.Status.ERROR
    assert result.text == pipeline.MODEL_DOWN
    assert "did not answer in time" in result.message.trace["error"]
    assert 1 <= hung_server.hung_requests <= 2
