"""Sampling parameters, next-token selection, and incremental detokenisation with stop sequences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass(frozen=True)
class SamplingParams:
    """How one request wants its tokens chosen and when it wants them to stop."""

    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    # OpenAI's penalties, over the tokens generated so far (not the prompt, which an answer
    # grounded in sources should be free to quote): each logit is lowered by
    # frequency_penalty × (times its token was generated) + presence_penalty × (generated at all).
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    # Benchmarks need a fixed number of tokens whatever the model says; like vLLM's ignore_eos.
    ignore_eos: bool = False

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError("temperature must be between 0 and 2")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError("top_p must be greater than 0 and at most 1")
        for name in ("frequency_penalty", "presence_penalty"):
            if not -2.0 <= getattr(self, name) <= 2.0:
                raise ValueError(f"{name} must be between -2 and 2")

    @property
    def greedy(self) -> bool:
        """True when the most likely token is always taken."""
        return self.temperature == 0.0

    @property
    def penalised(self) -> bool:
        """True when earlier generated tokens change the next token's logits."""
        return self.frequency_penalty != 0.0 or self.presence_penalty != 0.0

    def generator(self) -> torch.Generator | None:
        """A random generator for this request: seeded when asked, so replies can be repeated."""
        if self.greedy:
            return None
        generator = torch.Generator()
        if self.seed is None:
            generator.seed()
        else:
            generator.manual_seed(self.seed)
        return generator


def apply_penalties(
    logits: torch.Tensor, counts: torch.Tensor, params: SamplingParams
) -> torch.Tensor:
    """One row of logits lowered for the tokens already generated (`counts` per token id)."""
    return (
        logits
        - params.frequency_penalty * counts
        - params.presence_penalty * (counts > 0).to(logits.dtype)
    )


def sample_token(
    logits: torch.Tensor, params: SamplingParams, generator: torch.Generator | None
) -> int:
    """Choose the next token from one row of float32 logits."""
    if params.greedy:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / params.temperature, dim=-1)
    if params.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        # Keep the smallest prefix whose mass reaches top_p (the first token is always kept).
        keep = (torch.cumsum(sorted_probs, dim=-1) - sorted_probs) < params.top_p
        sorted_probs = sorted_probs * keep
        choice = torch.multinomial(sorted_probs, 1, generator=generator)
        return int(order[choice])
    return int(torch.multinomial(probs, 1, generator=generator))


@dataclass
class TextStream:
    """Turns generated token ids into text deltas, holding back what might be a stop sequence.

    With a fast tokenizer the text grows by one token's piece at a time (`tokenizers`'
    DecodeStream), so a long reply costs the same per token as a short one; decoding the whole
    reply at every token took 80 us at 600 tokens and grew with the reply. Tokenizers that tidy
    spaces across the whole text when decoding, and slow ones, decode the whole reply each time.
    """

    tokenizer: Any
    stop: tuple[str, ...] = ()
    ids: list[int] = field(default_factory=list)
    text: str = ""
    emitted: int = 0
    stop_hit: bool = False
    _pieces: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        backend = getattr(self.tokenizer, "backend_tokenizer", None)
        if backend is not None and not getattr(
            self.tokenizer, "clean_up_tokenization_spaces", False
        ):
            from tokenizers.decoders import DecodeStream

            self._pieces = (DecodeStream(skip_special_tokens=True), backend)

    def _grown(self, token: int) -> str | None:
        """The whole text with `token`, or None while it ends inside a multi-byte character."""
        if self._pieces is not None:
            stream, backend = self._pieces
            piece = stream.step(backend, token)
            return None if piece is None else self.text + piece
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        return None if text.endswith("\ufffd") else text

    def push(self, token: int) -> tuple[str, bool]:
        """Add one token; return the text now safe to show and whether a stop sequence was hit."""
        self.ids.append(token)
        text = self._grown(token)
        if text is None:
            # Half of a multi-byte character (or a token with no text): wait for more.
            return "", False
        self.text = text
        safe = len(text)
        if self.stop:
            longest = max(len(s) for s in self.stop)
            window = max(0, self.emitted - longest + 1)
            hits = [i for s in self.stop if (i := text.find(s, window)) != -1]
            if hits:
                cut = max(min(hits), self.emitted)
                delta = text[self.emitted : cut]
                self.emitted = cut
                self.stop_hit = True
                return delta, True
            safe -= _partial_stop_suffix(text, self.stop)
        if safe <= self.emitted:
            return "", False
        delta = text[self.emitted : safe]
        self.emitted = safe
        return delta, False

    def flush(self) -> str:
        """Return whatever was held back, at the end of a generation that hit no stop sequence."""
        if self.stop_hit:
            return ""
        delta = self.text[self.emitted :]
        self.emitted = len(self.text)
        return delta


def _partial_stop_suffix(text: str, stops: tuple[str, ...]) -> int:
    """Length of the longest end of `text` that is the start of some stop sequence."""
    best = 0
    for stop in stops:
        for k in range(min(len(stop) - 1, len(text)), best, -1):
            if text.endswith(stop[:k]):
                best = k
                break
    return best
