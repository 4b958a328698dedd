"""The stop button aborts the request; the server closes the pipeline, which saves a stopped answer."""

from __future__ import annotations

import asyncio

import pytest

from assistant.chat.services import answer_events
from assistant.chat.streaming import EventStream, sse_response
from assistant.models import Message
from assistant.pipeline import conversation_start
from tests.assistant.chat.conftest import parse_sse, read_body

pytestmark = pytest.mark.django_db(transaction=True)

LONG = " ".join(f"Sentence {i} says that parental leave is twenty weeks." for i in range(200))


def test_closing_the_stream_after_the_first_words_saves_a_stopped_answer(alice, model, retriever):
    model.add_reply(LONG)
    conversation = conversation_start(user=alice, question="How long is parental leave?")
    stream = EventStream(
        lambda: answer_events(
            user=alice, conversation=conversation, question="How long is parental leave?"
        )
    )

    async def read_until_first_delta() -> list[str]:
        seen = []
        events = aiter(stream)
        async for event in events:
            seen.append(event["type"])
            if event["type"] == "delta":
                break
        # What Django does when the browser goes away: the response's iterator is closed.
        await events.aclose()
        return seen

    seen = asyncio.run(read_until_first_delta())

    assert seen == ["meta", "delta"]
    assert stream.finished.wait(timeout=30)
    answer = Message.objects.get(conversation=conversation, role=Message.Role.ASSISTANT)
    assert answer.status == Message.Status.STOPPED
    assert answer.content.startswith("Sentence 0")
    assert len(answer.content) < len(LONG)
    assert answer.trace["stopped"] == "client closed the stream"


def test_a_failing_stream_ends_with_an_error_event(alice):
    def broken():
        yield {"type": "meta"}
        raise RuntimeError("boom")

    events = parse_sse(read_body(sse_response(broken)))

    assert [e["type"] for e in events] == ["meta", "error"]
    assert "boom" not in events[-1]["message"]
