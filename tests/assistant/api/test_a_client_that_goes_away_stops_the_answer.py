from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from assistant import pipeline
from assistant.models import Message

from .conftest import post_json


class SlowModel:
    """Writes a long answer slowly and records whether its stream was closed early."""

    model = "slow-model"

    def __init__(self) -> None:
        self.closed_early = False

    def context_length(self) -> int:
        return 2048

    def stream_chat(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[str]:
        finished = False
        try:
            for week in range(200):
                time.sleep(0.02)
                # Never the same sentence twice, or the pipeline would stop it as a loop.
                yield f" In week {week + 1} of parental leave, pay is in full [1]."
            finished = True
        finally:
            self.closed_early = not finished


@pytest.mark.django_db(transaction=True)
def test_closing_the_stream_saves_a_stopped_answer_and_cancels_generation(
    client, alice, token_for, leave_passage, monkeypatch
):
    model = SlowModel()
    monkeypatch.setattr(pipeline, "default_chat_model", lambda: model)
    response = post_json(
        client,
        "/v1/chat/completions",
        {
            "model": "assistant",
            "messages": [{"role": "user", "content": "How long is parental leave?"}],
            "stream": True,
        },
        token_for(alice),
    )

    async def read_a_little_then_leave() -> None:
        content = response.streaming_content
        received = 0
        async for chunk in content:
            received += b'"content": "' in chunk and b'"content": ""' not in chunk
            if received >= 2:
                break
        await content.aclose()

    async_to_sync(read_a_little_then_leave)()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        stopped = Message.objects.filter(role="assistant", status="stopped").first()
        if stopped is not None:
            break
        time.sleep(0.1)
    assert stopped is not None
    assert "In week 1 of parental leave" in stopped.content
    assert model.closed_early
