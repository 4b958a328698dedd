from __future__ import annotations

import pytest

from inference.engine import Engine
from inference.sampling import SamplingParams

MESSAGES = [
    {
        "role": "system",
        "content": "Answer using only this context. Context: The Zorblat office is in Lisbon.",
    },
    {"role": "user", "content": "Where is the Zorblat office?"},
]


@pytest.mark.slow
def test_it_answers_a_question_from_the_given_context(demo_engine):
    result = demo_engine.complete(MESSAGES, SamplingParams(max_tokens=40))
    assert "Lisbon" in result.text
    assert result.finish_reason == "stop"


@pytest.mark.slow
def test_it_answers_the_same_with_the_served_bf16_weights(demo_engine, demo_model):
    # `serve` decodes with bf16 weights by default; the answer keeps its facts.
    engine = Engine(demo_model, max_batch=1, max_context=2048, decode_dtype="bfloat16")
    try:
        result = engine.complete(MESSAGES, SamplingParams(max_tokens=40))
    finally:
        engine.close()
    assert "Lisbon" in result.text
    assert result.finish_reason == "stop"
