"""Answers stream from a synchronous generator run in a thread of its own, read by async views.

The answering pipeline is synchronous (ORM, moderation, a blocking HTTP stream from the model), so
it runs in a thread of its own that feeds a channel async code awaits. One thread per answer, not
the shared `sync_to_async` thread: answers last seconds and must not queue behind one another.
When the reader goes away the thread closes the generator at its next event, which is what tells
the pipeline to save a stopped answer and to close the model's stream.

Both the chat page and the OpenAI-compatible API read answers through `EventStream`; each frames
the events its own way (`sse_response` here for the page, `assistant.api.completions` for the API).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from django.db import close_old_connections, connections
from django.http import StreamingHttpResponse

logger = logging.getLogger(__name__)

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Channel:
    """A queue from one thread to whichever event loop reads it.

    Not an asyncio.Queue: that is bound to one loop, and a response may be started on one loop and
    streamed on another (Django's test client and WSGI servers do this).
    """

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._lock = threading.Lock()
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None

    def put(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            loop, future = waiter
            # A closed loop raises RuntimeError: nobody is waiting there any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)

    async def get(self) -> Any:
        while True:
            with self._lock:
                if self._items:
                    return self._items.popleft()
                loop = asyncio.get_running_loop()
                future: asyncio.Future[None] = loop.create_future()
                self._waiter = (loop, future)
            await future


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class EventStream(Generic[T]):
    """The items of `start()`, run in a dedicated thread from now on, as an async iterator.

    An exception of the generator is raised to the reader, which decides what its client sees.
    A class rather than an async generator: the event loop closes async generators it started when
    it shuts down, and the first event may be read on a different loop than the rest.
    """

    def __init__(self, start: Callable[[], Iterator[T]]) -> None:
        self._channel = _Channel()
        self._stop = threading.Event()
        self._done = False
        # Set once the thread has closed the generator and its database connections.
        self.finished = threading.Event()
        # Started here rather than on the first read, so that a response nobody reads still runs
        # the generator to its end and releases what it holds (an answer slot).
        self._thread = threading.Thread(
            target=self._produce, args=(start,), name="answer-stream", daemon=True
        )
        self._thread.start()

    def _produce(self, start: Callable[[], Iterator[T]]) -> None:
        close_old_connections()
        items: Iterator[T] | None = None
        try:
            items = start()
            for item in items:
                if self._stop.is_set():
                    break
                self._channel.put(item)
        except BaseException as exc:  # handed to the reader
            self._channel.put(_Failure(exc))
        finally:
            try:
                close = getattr(items, "close", None)
                if close is not None:
                    close()  # a no-op after a complete run; saves a stopped answer otherwise
            except Exception:
                logger.exception("closing the answer stream failed")
            finally:
                # This thread's connections would otherwise stay open until the process exits.
                connections.close_all()
                self._channel.put(_END)
                self.finished.set()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        item = await self._channel.get()
        if item is _END:
            self._done = True
            raise StopAsyncIteration
        if isinstance(item, _Failure):
            self._done = True
            self._stop.set()
            raise item.exc
        return item  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Stop the generator at its next item (the reader went away); idempotent."""
        self._done = True
        self._stop.set()


def sse(event: dict[str, Any]) -> bytes:
    """One server-sent event named after the event's type, with the event as JSON data."""
    data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event.get('type', 'message')}\ndata: {data}\n\n".encode()


async def _encoded(events: EventStream[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        # A first comment line makes proxies and the browser start the stream at once.
        yield b": stream open\n\n"
        async for event in events:
            yield sse(event)
    except Exception:
        # Headers are sent: the page shows this message where the answer would have appeared.
        logger.exception("answer stream failed")
        yield sse({"type": "error", "message": "The answer could not be completed."})
    finally:
        # Reached on the last event, on aclose() and on cancellation (client disconnect).
        await events.aclose()


def sse_response(make: Callable[[], Iterator[dict[str, Any]]]) -> StreamingHttpResponse:
    """A streaming response of server-sent events produced by `make()` in a worker thread."""
    response = StreamingHttpResponse(_encoded(EventStream(make)), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    # Tells nginx-style proxies not to buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response
