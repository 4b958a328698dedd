"""Runs the (synchronous) answering pipeline in a worker thread and hands its events to async code.

The pipeline does blocking work (database, moderation, reading the model's stream). Running it on
the event loop would stall every other request of the process, so it gets its own thread, which
feeds a queue that async code awaits. If the consumer goes away (client disconnected), the thread
closes the pipeline's generator at the next event, which saves a stopped answer and cancels
generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

from django.db import close_old_connections, connections

from assistant.pipeline import Event

logger = logging.getLogger(__name__)

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


class EventStream:
    """The events of a pipeline run in a dedicated thread, as an async iterator.

    A class rather than an async generator: the event loop closes async generators it started when
    it shuts down, and the first event may be read on a different loop than the rest.
    """

    def __init__(self, start: Callable[[], Generator[Event, None, None]]) -> None:
        self._channel = _Channel()
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._produce, args=(start,), name="answer-stream", daemon=True
        )
        self._thread.start()

    def _produce(self, start: Callable[[], Generator[Event, None, None]]) -> None:
        close_old_connections()
        events: Generator[Event, None, None] | None = None
        try:
            events = start()
            for event in events:
                self._channel.put(event)
                if self._stop.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, which decides what the client sees
            self._channel.put(_Failure(exc))
        finally:
            try:
                if events is not None:
                    events.close()  # a no-op after a complete run; saves a stopped answer otherwise
            except Exception:
                logger.exception("closing the answer stream failed")
            finally:
                # This thread's connection would otherwise stay open until the process exits.
                connections.close_all()
                self._channel.put(_END)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
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
        return item

    async def aclose(self) -> None:
        """Stop the pipeline at its next event (the reader went away); idempotent."""
        self._done = True
        self._stop.set()
