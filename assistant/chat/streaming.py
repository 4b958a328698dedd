"""Server-sent events from a synchronous generator, served by an async view.

The answering pipeline is synchronous (ORM, a blocking HTTP stream from the model), so it runs in a
thread of its own and hands its events to the event loop through an asyncio queue. One thread per
answer, not the shared `sync_to_async` thread: answers last seconds and must not queue behind one
another. When the reader goes away the thread closes the generator, which is what tells the
pipeline to save a stopped answer and to close the model's stream.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from django.db import connections
from django.http import StreamingHttpResponse

logger = logging.getLogger(__name__)

_END = object()


def sse(event: dict[str, Any]) -> bytes:
    """One server-sent event named after the event's type, with the event as JSON data."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode()


class ThreadedStream:
    """Runs a generator in a worker thread and exposes its items as an async iterator."""

    def __init__(self, make: Callable[[], Iterator[dict[str, Any]]]) -> None:
        self._make = make
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[object]) -> None:
        def put(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:
                # The loop is gone (server shutting down): nobody is listening any more.
                self._stop.set()

        generator: Iterator[dict[str, Any]] | None = None
        try:
            generator = self._make()
            for item in generator:
                if self._stop.is_set():
                    break
                put(item)
        except Exception:
            logger.exception("answer stream failed")
            put({"type": "error", "message": "The answer could not be completed."})
        finally:
            try:
                close = getattr(generator, "close", None)
                if close is not None:
                    close()
            except Exception:
                logger.exception("closing the answer stream failed")
            finally:
                # This thread's connections would otherwise stay open until the server restarts.
                connections.close_all()
                put(_END)
                self.finished.set()

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        self._thread = threading.Thread(
            target=self._run, args=(loop, queue), name="answer-stream", daemon=True
        )
        self._thread.start()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                assert isinstance(item, dict)
                yield item
        finally:
            # Reached on the last event, on aclose() and on cancellation (client disconnect).
            self._stop.set()


async def _encoded(stream: ThreadedStream) -> AsyncIterator[bytes]:
    # A first comment line makes proxies and the browser start the stream at once.
    yield b": stream open\n\n"
    async for event in stream:
        yield sse(event)


def sse_response(make: Callable[[], Iterator[dict[str, Any]]]) -> StreamingHttpResponse:
    """A streaming response of server-sent events produced by `make()` in a worker thread."""
    response = StreamingHttpResponse(
        _encoded(ThreadedStream(make)), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache, no-store"
    # Tells nginx-style proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
