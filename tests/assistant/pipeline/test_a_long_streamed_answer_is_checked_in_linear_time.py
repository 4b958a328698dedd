"""A long streamed answer costs the pipeline work in proportion to its length, not its square.

Loop detection once re-read the whole answer after every token: 25 s of one core for a
20,000-character answer, holding the worker. The budget below is a hang detector (CPU time of this
process), not a speed claim.
"""

from __future__ import annotations

import random
import string

from assistant.pipeline import Options, answer
from tests.budget import cpu_budget


def test_ten_thousand_streamed_words_are_answered_within_a_small_cpu_budget(
    alice, model, retriever
):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    words = [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(10_000)
    ]
    model.add_reply(" ".join(words) + " [1].")
    model.context_window = 40_000

    with cpu_budget(30):
        result = answer(
            user=alice,
            question="Tell me everything about parental leave.",
            chat_model=model,
            retriever=retriever,
            options=Options(answer_tokens=20_000),
        )

    assert result.message.completion_tokens >= 5_000
    assert "stopped" not in result.message.trace
