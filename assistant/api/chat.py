"""OpenAI-compatible endpoints: /v1/chat/completions and /v1/models."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from ninja import Router

from assistant.api.auth import chat_auth, token_user
from assistant.api.completions import (
    DONE,
    MODEL_ID,
    MODEL_OWNER,
    ChatCompletionIn,
    ChatCompletionOut,
    ChunkWriter,
    ModelListOut,
    ModelOut,
    completion_body,
    completion_events,
    completion_id,
    pipeline_options,
    question_and_history,
    sse,
)
from assistant.api.errors import ApiError, error_body, error_response
from assistant.chat.streaming import EventStream
from assistant.inflight import TooManyAnswers, answer_slot
from assistant.pipeline import Event

logger = logging.getLogger(__name__)

router = Router(auth=chat_auth, tags=["OpenAI-compatible"])

# A fixed creation time keeps /v1/models stable between processes and restarts.
MODEL_CREATED = 1767225600


def _model() -> dict[str, Any]:
    return {"id": MODEL_ID, "object": "model", "created": MODEL_CREATED, "owned_by": MODEL_OWNER}


@router.get("/models", response=ModelListOut)
def models_list(request: HttpRequest) -> dict[str, Any]:
    """The models this API answers with: one, the assistant (retrieval + the local model)."""
    return {"object": "list", "data": [_model()]}


@router.get("/models/{model_id}", response=ModelOut)
def models_retrieve(request: HttpRequest, model_id: str) -> dict[str, Any]:
    """One model by id."""
    if model_id != MODEL_ID:
        raise ApiError(f"The model '{model_id}' does not exist.", 404, code="model_not_found")
    return _model()


# With `"stream": true` the same endpoint answers with server-sent events instead of JSON.
STREAM_DOC = {
    "responses": {
        200: {
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "string",
                        "description": "`data: <chat.completion.chunk JSON>` events; the last "
                        "chunk carries `citations`, `content`, `conversation_id`, `message_id` "
                        "and `status`; the stream ends with `data: [DONE]`.",
                    }
                }
            }
        }
    }
}


@router.post("/chat/completions", response=ChatCompletionOut, openapi_extra=STREAM_DOC)
async def chat_completions(request: HttpRequest, body: ChatCompletionIn) -> HttpResponseBase:
    """Answer the last user message from the documents the token's user may read, with citations."""
    if body.model != MODEL_ID:
        raise ApiError(
            f"The model '{body.model}' does not exist; use '{MODEL_ID}'.",
            404,
            code="model_not_found",
            param="model",
        )
    try:
        question, history = question_and_history(body)
    except ValueError as exc:
        raise ApiError(str(exc), 400, param="messages") from None
    user = token_user(request)
    options = pipeline_options(body)
    try:
        slot = await sync_to_async(answer_slot, thread_sensitive=False)(user)
    except TooManyAnswers as exc:
        raise ApiError(str(exc), 429, code="rate_limit_exceeded") from None
    events: EventStream[Event] = EventStream(
        lambda: slot.holding(
            completion_events,
            user=user,
            question=question,
            history=history,
            conversation_id=body.conversation_id,
            options=options,
        )
    )
    # The first event comes only after the conversation checks, so a foreign conversation_id is a
    # plain 404 response rather than an error in the middle of a stream.
    try:
        first = await anext(events)
    except BaseException:
        await events.aclose()
        raise
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        response = StreamingHttpResponse(
            _sse(first, events, ChunkWriter(include_usage=include_usage)),
            content_type="text/event-stream",
        )
        response["Cache-Control"] = "no-cache"
        # Proxies such as nginx would otherwise buffer the stream into one late response.
        response["X-Accel-Buffering"] = "no"
        return response
    try:
        done = await _last(first, events)
    finally:
        await events.aclose()
    if done.data["status"] == "error":
        return error_response(done.data["content"], 503, code="model_unavailable")
    return JsonResponse(
        completion_body(done.data, completion=completion_id(), created=int(time.time()))
    )


async def _last(first: Event, events: EventStream[Event]) -> Event:
    last = first
    async for event in events:
        last = event
    return last


async def _sse(first: Event, events: EventStream[Event], writer: ChunkWriter) -> AsyncIterator[str]:
    try:
        for chunk in writer.write(first):
            yield chunk
        async for event in events:
            for chunk in writer.write(event):
                yield chunk
    except Exception:
        # Headers are sent: the error can only travel inside the stream, where OpenAI clients
        # look for it.
        logger.exception("chat completion stream failed")
        yield sse(error_body("The answer failed; please try again.", 500))
        yield DONE
    finally:
        await events.aclose()
