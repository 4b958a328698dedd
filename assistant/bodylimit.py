"""Refuse over-large request bodies before anything reads them to memory or disk.

Django reads a whole request body into a spooled temporary file before any view or middleware runs
(and the CSRF check parses multipart bodies into upload files), so a size check inside Django comes
after the disk is already filled. This ASGI middleware sits in front: a declared Content-Length
over the limit gets 413 at once, unread; a chunked body gets 413 as soon as its count passes the
limit, and Django is told the client went away, so it drops what it has read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on purpose: servers and frameworks spell the scope and message types differently.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


def _declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number, -1 when it is malformed, None when absent."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
            return length if length >= 0 else -1
    return None


class BodyLimit:
    """ASGI middleware: HTTP requests whose body is over `max_bytes` get 413 and are not read."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and (declared < 0 or declared > self.max_bytes):
            await self._refuse(send, malformed=declared < 0)
            return

        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send, malformed=False)
                    # To Django the client has gone: it discards the body and sends nothing.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # Once the 413 is out, whatever the application still says has nowhere to go.
            if not refused:
                started = started or message["type"] == "http.response.start"
                await send(message)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, send: Send, *, malformed: bool) -> None:
        if malformed:
            status, text = 400, "The Content-Length header is not a valid length."
        else:
            status = 413
            text = f"The request body is larger than the limit of {self.max_bytes:,} bytes."
        body = json.dumps({"error": {"message": text, "type": "invalid_request_error"}}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is never read, so the connection cannot be reused.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
