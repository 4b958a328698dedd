"""Runs the (synchronous) answering pipeline in a worker thread and hands its events to async code.

The pipeline does blocking work (database, moderation, reading the model's stream). Running it on
the event loop would stall every other request of the process, so it gets its own thread, which
feeds an asyncio queue. If the consumer goes away (client disconnected), the thread closes the
pipeline's generator at the next event, which saves a stopped answer and cancels generation.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any

from django.db import close_old_connections, connections

from assistant.pipeline import Event

logger = logging.getLogger(__name__)

_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def events_in_thread(
    start: Callable[[], Generator[Event, None, None]],
) -> AsyncIterator[Event]:
    """Iterate `start()` in a dedicated thread, yielding its events here without blocking the loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Any] = asyncio.Queue()
    stop = threading.Event()

    def put(item: Any) -> None:
        # The loop may already be gone if the server shut down mid-answer; nothing to deliver then.
        if not loop.is_closed():
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def produce() -> None:
        close_old_connections()
        events: Generator[Event, None, None] | None = None
        try:
            events = start()
            for event in events:
                if stop.is_set():
                    break
                put(event)
        except BaseException as exc:  # handed to the consumer, which decides what the client sees
            put(_Failure(exc))
        finally:
            try:
                if events is not None:
                    events.close()  # a no-op after a complete run; saves a stopped answer otherwise
            except Exception:
                logger.exception("closing the answer stream failed")
            finally:
                # This thread's connection would otherwise stay open until the server exits.
                connections.close_all()
                put(_END)

    thread = threading.Thread(target=produce, name="answer-stream", daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
