"""OpenAI chat completions on top of the answering pipeline: request parsing and response shapes.

The pipeline answers the last user message with retrieval as the token's user; earlier messages of
the request become the history of a new API conversation, unless the client continues one of its
own conversations with the extra field `conversation_id`. Citations travel in extra fields
(`citations`, `conversation_id`, `message_id`, `status`), which OpenAI clients keep and ignore.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import Generator
from typing import Any, Literal, cast

from django.http import Http404
from ninja import Field, Schema
from pydantic import ConfigDict

from assistant import pipeline
from assistant.api.errors import error_body
from assistant.models import Conversation, Message, Surface

MODEL_ID = "assistant"
MODEL_OWNER = "enterprise-assistant"
HISTORY_LIMIT = 12

FINISH_REASONS = {
    Message.Status.COMPLETE: "stop",
    Message.Status.NOTHING_FOUND: "stop",
    Message.Status.REFUSED: "content_filter",
    Message.Status.STOPPED: "stop",
}


class ContentPart(Schema):
    type: str
    text: str | None = None


class ChatMessageIn(Schema):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text; non-text parts (images, audio) are not supported and skipped."""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text or "" for part in self.content or () if part.type == "text")


class StreamOptions(Schema):
    include_usage: bool = False


class ChatCompletionIn(Schema):
    """The OpenAI request body; unknown OpenAI parameters are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str
    messages: list[ChatMessageIn] = Field(..., min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    n: int = Field(1, ge=1, le=1, description="Only one choice is supported.")
    conversation_id: int | None = Field(
        None,
        description="Extra field: continue one of your conversations; its stored turns are the "
        "history and earlier messages of the request are ignored.",
    )


class CitationOut(Schema):
    n: int
    chunk_id: int
    document_id: int
    title: str
    location: str
    snippet: str
    support: float | None = None
    added: bool | None = None


class AssistantMessageOut(Schema):
    role: Literal["assistant"] = "assistant"
    content: str


class ChoiceOut(Schema):
    index: int
    message: AssistantMessageOut
    finish_reason: str


class UsageOut(Schema):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(Schema):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChoiceOut]
    usage: UsageOut
    citations: list[CitationOut]
    conversation_id: int
    message_id: int
    status: str


class ModelOut(Schema):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelListOut(Schema):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def question_and_history(body: ChatCompletionIn) -> tuple[str, list[tuple[str, str]]]:
    """The last user message and the user/assistant turns before it; ValueError if there is none."""
    last = body.messages[-1]
    question = last.text().strip()
    if last.role != "user" or not question:
        raise ValueError("The last message must be a user message with text content.")
    if len(question) > pipeline.MAX_QUESTION_CHARS:
        raise ValueError(
            f"The question has {len(question):,} characters; at most "
            f"{pipeline.MAX_QUESTION_CHARS:,} are accepted. Shorten it and ask again."
        )
    # System prompts are the product's, not the caller's: they are not passed to the model.
    history: list[tuple[str, str]] = [
        (m.role, m.text())
        for m in body.messages[:-1]
        if m.role in ("user", "assistant") and m.text()
    ]
    return question, history[-HISTORY_LIMIT:]


def pipeline_options(body: ChatCompletionIn) -> pipeline.Options:
    """Pipeline options with the request's sampling parameters applied."""
    defaults = pipeline.Options()
    return dataclasses.replace(
        defaults,
        answer_tokens=body.max_completion_tokens or body.max_tokens or defaults.answer_tokens,
        temperature=defaults.temperature if body.temperature is None else body.temperature,
        frequency_penalty=(
            defaults.frequency_penalty if body.frequency_penalty is None else body.frequency_penalty
        ),
    )


def completion_events(
    *,
    user: Any,
    question: str,
    history: list[tuple[str, str]],
    conversation_id: int | None,
    options: pipeline.Options,
) -> Generator[pipeline.Event, None, None]:
    """The pipeline's events for one completion; `done` also carries the token usage."""
    if conversation_id is not None:
        conversation = Conversation.objects.filter(pk=conversation_id, owner=user).first()
        if conversation is None:
            raise Http404("No such conversation.")
    else:
        conversation = pipeline.conversation_start(
            user=user, question=question, surface=Surface.API
        )
        Message.objects.bulk_create(
            Message(conversation=conversation, role=role, content=content, imported=True)
            for role, content in history
        )
    # answer_stream is a generator (typed as an iterator); closing it saves a stopped answer.
    answer = cast(
        Generator[pipeline.Event, None, None],
        pipeline.answer_stream(
            user=user,
            conversation=conversation,
            question=question,
            surface=Surface.API,
            options=options,
        ),
    )
    # Closed explicitly with this generator rather than left to the garbage collector.
    with contextlib.closing(answer):
        for event in answer:
            if event.type == "done":
                message = Message.objects.get(pk=event.data["message_id"])
                event = pipeline.Event(
                    "done",
                    {
                        **event.data,
                        "conversation_id": conversation.pk,
                        "usage": usage(message.prompt_tokens, message.completion_tokens),
                    },
                )
            yield event


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """The OpenAI usage object."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion_id() -> str:
    """A fresh completion id."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion_body(done: dict[str, Any], *, completion: str, created: int) -> dict[str, Any]:
    """The non-streamed response for a finished answer."""
    return {
        "id": completion,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done["content"]},
                "finish_reason": FINISH_REASONS.get(done["status"], "stop"),
            }
        ],
        "usage": done["usage"],
        "citations": done["citations"],
        "conversation_id": done["conversation_id"],
        "message_id": done["message_id"],
        "status": done["status"],
    }


class ChunkWriter:
    """Turns pipeline events into `chat.completion.chunk` server-sent events."""

    def __init__(self, *, include_usage: bool) -> None:
        self.id = completion_id()
        self.created = int(time.time())
        self.include_usage = include_usage
        self.streamed = False

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            **extra,
        }
        return sse(body)

    def write(self, event: pipeline.Event) -> list[str]:
        """The server-sent events for one pipeline event (often none)."""
        data = event.data
        if event.type == "meta":
            return [self._chunk({"role": "assistant", "content": ""})]
        if event.type == "delta" and data["text"]:
            self.streamed = True
            return [self._chunk({"content": data["text"]})]
        if event.type != "done":
            return []
        if data["status"] == Message.Status.ERROR:
            body = error_body(data["content"], 503, code="model_unavailable")
            return [sse(body), DONE]
        out = []
        if not self.streamed:
            # A refusal or "nothing found" comes whole, without deltas: stream it as the answer.
            out.append(self._chunk({"content": data["content"]}))
        out.append(
            self._chunk(
                {},
                FINISH_REASONS.get(data["status"], "stop"),
                # The streamed text has the model's citation numbers; this is the checked text,
                # whose [n] match `citations`.
                content=data["content"],
                citations=data["citations"],
                conversation_id=data["conversation_id"],
                message_id=data["message_id"],
                status=data["status"],
            )
        )
        if self.include_usage:
            usage_chunk = {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": MODEL_ID,
                "choices": [],
                "usage": data["usage"],
            }
            out.append(sse(usage_chunk))
        return [*out, DONE]

        return []


DONE = "data: [DONE]\n\n"


def sse(body: dict[str, Any]) -> str:
    """One server-sent event carrying JSON."""
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"
