"""Closing the generation stage early closes the model's stream and saves a stopped answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.models import Message
from assistant.pipeline import generate
from inference import FakeChatModel
from tests.assistant.pipeline.conftest import retrieved


class WatchedModel(FakeChatModel):
    """A fake model that notes whether its stream was closed before it ended.

    It keeps every stream it returned, so a stream ends early only if the pipeline closes it, not
    when the garbage collector happens to.
    """

    closed_early = False
    streams: list[Iterator[str]]

    def stream_chat(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[str]:
        stream = self._watched(super().stream_chat(messages, **kwargs))
        self.streams = [*getattr(self, "streams", []), stream]
        return stream

    def _watched(self, pieces: Iterator[str]) -> Iterator[str]:
        finished = False
        try:
            yield from pieces
            finished = True
        finally:
            self.closed_early = not finished


def test_the_model_stream_is_closed_and_what_was_shown_is_saved(alice, retriever):
    model = WatchedModel(
        ["Parental leave is 20 weeks. It is fully paid. It can be split into blocks."]
    )
    state = retrieved(alice, retriever)

    events = generate(state, model)
    first = next(events)
    events.close()

    assert model.closed_early
    saved = state.conversation.messages.get(role=Message.Role.ASSISTANT)
    assert saved.status == Message.Status.STOPPED
    assert saved.content == first.data["text"] == "".join(state.shown)
    assert "fully paid" not in saved.content
    assert saved.trace["stopped"] == "client closed the stream"
