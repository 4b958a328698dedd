"""The OpenAI-compatible HTTP model server (Starlette), in front of one Engine."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from inference.protocol import (
    ChatRequest,
    RequestError,
    chunk_body,
    completion_body,
    completion_id,
    parse_chat_request,
    usage,
)

if TYPE_CHECKING:
    from inference.engine import Engine, Event, GenerationHandle

# How often a non-streaming request checks whether its client went away.
DISCONNECT_POLL_S = 0.2


def error_response(error: RequestError) -> JSONResponse:
    """Render a RequestError as OpenAI does."""
    return JSONResponse(error.body(), status_code=error.status)


class BearerAuth:
    """Rejects requests to /v1 without the configured bearer token (health stays open)."""

    def __init__(self, app: ASGIApp, api_key: str | None) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected and scope["type"] == "http" and scope["path"].startswith("/v1"):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                error = RequestError(
                    "invalid or missing API key", code="invalid_api_key", status=401
                )
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ChatService:
    """Turns validated requests into engine generations, streamed or whole."""

    def __init__(self, engine: Engine, model_name: str) -> None:
        self.engine = engine
        self.model_name = model_name

    def models(self) -> dict[str, Any]:
        """The /v1/models listing, with the context window as vLLM reports it."""
        entry = {
            "id": self.model_name,
            "object": "model",
            "created": int(time.time()),
            "owned_by": "local",
            "max_model_len": self.engine.context_length,
            "context_length": self.engine.context_length,
        }
        return {"object": "list", "data": [entry]}

    def start(
        self, chat: ChatRequest, loop: asyncio.AbstractEventLoop
    ) -> tuple[GenerationHandle, asyncio.Queue[Event]]:
        """Submit a generation whose events arrive on an asyncio queue."""
        from inference.engine import ContextLengthError
        from inference.sampling import SamplingParams

        if chat.model is not None and chat.model != self.model_name:
            raise RequestError(
                f"the model '{chat.model}' does not exist; this server has '{self.model_name}'",
                param="model",
                code="model_not_found",
                status=404,
            )
        try:
            prompt = self.engine.prompt_ids(chat.messages)
            self.engine.check_prompt(prompt)
        except ContextLengthError as exc:
            raise RequestError(str(exc), param="messages", code="context_length_exceeded") from None
        except Exception as exc:  # the chat template rejects some message orders
            raise RequestError(
                f"the messages cannot be rendered: {exc}", param="messages"
            ) from None
        room = self.engine.context_length - len(prompt)
        params = SamplingParams(
            max_tokens=min(chat.max_tokens or room, room),
            temperature=chat.temperature,
            top_p=chat.top_p,
            frequency_penalty=chat.frequency_penalty,
            presence_penalty=chat.presence_penalty,
            stop=chat.stop,
            seed=chat.seed,
        )
        events: asyncio.Queue[Event] = asyncio.Queue()

        def deliver(event: Event) -> None:
            # Called on the engine thread; the queue belongs to the event loop.
            # A closed loop means the client is long gone; nothing is waiting for the event.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(events.put_nowait, event)

        return self.engine.submit(prompt, params, on_event=deliver), events


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise RequestError("the request body is not valid JSON") from None


async def chat_completions(request: Request) -> Response:
    """POST /v1/chat/completions."""
    service: ChatService = request.app.state.service
    try:
        chat = parse_chat_request(await _json_body(request))
        handle, events = service.start(chat, asyncio.get_running_loop())
    except RequestError as error:
        return error_response(error)
    if chat.stream:
        return EventSourceResponse(_stream(service, chat, handle, events), ping=15, sep="\n")
    return await _whole(request, service, handle, events)


async def _whole(
    request: Request, service: ChatService, handle: GenerationHandle, events: asyncio.Queue[Event]
) -> Response:
    from inference.engine import Delta, Failed

    parts: list[str] = []
    try:
        while True:
            try:
                event = await asyncio.wait_for(events.get(), DISCONNECT_POLL_S)
            except TimeoutError:
                if await request.is_disconnected():
                    handle.cancel()
                    return Response(status_code=499)
                continue
            if isinstance(event, Delta):
                parts.append(event.text)
            elif isinstance(event, Failed):
                return JSONResponse(
                    {
                        "error": {
                            "message": event.message,
                            "type": "server_error",
                            "param": None,
                            "code": None,
                        }
                    },
                    status_code=500,
                )
            else:
                body = completion_body(
                    cid=completion_id(),
                    model=service.model_name,
                    text="".join(parts),
                    finish_reason="stop" if event.reason == "cancelled" else event.reason,
                    prompt_tokens=event.prompt_tokens,
                    completion_tokens=event.completion_tokens,
                )
                return JSONResponse(body)
    finally:
        handle.cancel()  # no-op when finished; stops work when this task is cancelled


async def _stream(
    service: ChatService,
    chat: ChatRequest,
    handle: GenerationHandle,
    events: asyncio.Queue[Event],
) -> AsyncIterator[str]:
    from inference.engine import Delta, Failed

    cid, model = completion_id(), service.model_name
    try:
        yield json.dumps(
            chunk_body(cid=cid, model=model, delta={"role": "assistant", "content": ""})
        )
        while True:
            event = await events.get()
            if isinstance(event, Delta):
                yield json.dumps(chunk_body(cid=cid, model=model, delta={"content": event.text}))
            elif isinstance(event, Failed):
                yield json.dumps({"error": {"message": event.message, "type": "server_error"}})
                return
            else:
                yield json.dumps(
                    chunk_body(cid=cid, model=model, delta={}, finish_reason=event.reason)
                )
                if chat.include_usage:
                    block = usage(event.prompt_tokens, event.completion_tokens)
                    yield json.dumps(
                        chunk_body(cid=cid, model=model, delta={}, usage_block=block, choices=False)
                    )
                yield "[DONE]"
                return
    finally:
        # Reached on normal end and when sse-starlette cancels us because the client left.
        handle.cancel()


async def list_models(request: Request) -> Response:
    """GET /v1/models."""
    return JSONResponse(request.app.state.service.models())


async def health(request: Request) -> Response:
    """GET /health: the engine's scheduler is alive."""
    engine = request.app.state.service.engine
    alive = engine.alive
    return JSONResponse({"status": "ok" if alive else "down"}, status_code=200 if alive else 503)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: "no such route", 405: "method not allowed"}
    error = RequestError(messages.get(exc.status_code, str(exc.detail)), status=exc.status_code)
    return error_response(error)


def create_app(engine: Engine, *, model_name: str, api_key: str | None = None) -> Starlette:
    """The ASGI app serving `engine` under the OpenAI protocol."""
    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        middleware=[Middleware(BearerAuth, api_key=api_key)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.service = ChatService(engine, model_name)
    return app
