from __future__ import annotations

import pytest

from inference.sampling import SamplingParams


@pytest.mark.slow
def test_it_answers_a_question_from_the_given_context(demo_engine):
    messages = [
        {
            "role": "system",
            "content": "Answer using only this context. Context: The Zorblat office is in Lisbon.",
        },
        {"role": "user", "content": "Where is the Zorblat office?"},
    ]
    result = demo_engine.complete(messages, SamplingParams(max_tokens=40))
    assert "Lisbon" in result.text
    assert result.finish_reason == "stop"
