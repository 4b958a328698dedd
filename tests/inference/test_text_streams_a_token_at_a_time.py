from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from inference.sampling import TextStream

TEXT = "Héllo wörld — 日本語のテキスト 🙂, and code: def f(x): return x**2\n\n" * 4


class Counting:
    """The tokenizer, counting calls to its whole-text `decode`; optionally without its fast
    backend, as a slow tokenizer would be."""

    def __init__(self, tokenizer, *, fast: bool) -> None:
        self.tokenizer, self.fast, self.decodes = tokenizer, fast, 0

    def __getattr__(self, name):
        if name == "backend_tokenizer" and not self.fast:
            raise AttributeError(name)
        return getattr(self.tokenizer, name)

    def decode(self, *args, **kwargs):
        self.decodes += 1
        return self.tokenizer.decode(*args, **kwargs)


@pytest.mark.parametrize("fast", [True, False])
def test_the_streamed_text_is_the_whole_reply_decoded(tokenizer_dir, fast):
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    ids = tokenizer.encode(TEXT, add_special_tokens=False)
    ids += [tokenizer.eos_token_id, *tokenizer.encode(" after", add_special_tokens=False)]
    counting = Counting(tokenizer, fast=fast)
    stream = TextStream(counting)

    deltas = [stream.push(token)[0] for token in ids]

    assert "".join(deltas) + stream.flush() == tokenizer.decode(ids, skip_special_tokens=True)
    # Multi-byte characters split over tokens are never shown half-made.
    assert not any("\ufffd" in delta for delta in deltas)
    # A fast tokenizer grows the text by pieces instead of decoding the whole reply per token.
    assert counting.decodes == (0 if fast else len(ids))
