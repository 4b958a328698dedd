"""A queue-driven stand-in for InferenceClient, for unit tests of code that talks to a model."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from inference.client import Completion, InferenceError, count_tokens


@dataclass(frozen=True)
class ReceivedChat:
    """One call the fake received."""

    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    stop: list[str] | None
    seed: int | None
    stream: bool
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0


@dataclass
class FakeChatModel:
    """Replies with queued texts in order and records every conversation it was given."""

    replies: Iterable[str] = ()
    model: str = "fake-model"
    context_window: int = 2048
    healthy: bool = True
    received: list[ReceivedChat] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: deque[str] = deque(self.replies)

    def add_reply(self, text: str) -> None:
        """Queue the text of a future reply."""
        self._queue.append(text)

    @property
    def messages(self) -> list[list[dict[str, str]]]:
        """The conversations received so far, oldest first."""
        return [call.messages for call in self.received]

    def chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
    ) -> Completion:
        """Return the next queued reply, cut at a stop sequence or max_tokens like a server would."""
        call = ReceivedChat(
            [dict(m) for m in messages], max_tokens, temperature, stop, seed, False,
            frequency_penalty, presence_penalty,
        )  # fmt: skip
        text, reason = self._next(call)
        prompt = sum(count_tokens(m.get("content", "")) for m in messages)
        return Completion(text, reason, prompt, count_tokens(text), self.model)

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
    ) -> Iterator[str]:
        """Yield the next queued reply word by word."""
        call = ReceivedChat(
            [dict(m) for m in messages], max_tokens, temperature, stop, seed, True,
            frequency_penalty, presence_penalty,
        )  # fmt: skip
        text, _ = self._next(call)
        yield from (piece for piece in re.findall(r"\s*\S+|\s+", text) if piece)

    def models(self) -> list[str]:
        """The one model this fake pretends to serve."""
        return [self.model]

    def health(self) -> bool:
        """Whatever the test set `healthy` to."""
        return self.healthy

    def context_length(self) -> int:
        """The configured context window."""
        return self.context_window

    def _next(self, call: ReceivedChat) -> tuple[str, str]:
        self.received.append(call)
        if not self.healthy:
            raise InferenceError("model server at fake:// is not reachable")
        if not self._queue:
            raise InferenceError("FakeChatModel has no queued reply left")
        text, reason = self._queue.popleft(), "stop"
        for sequence in call.stop or ():
            if sequence in text:
                text = text[: text.index(sequence)]
        if count_tokens(text) > call.max_tokens:
            text, reason = text[: call.max_tokens * 3], "length"
        return text, reason
