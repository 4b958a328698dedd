from __future__ import annotations

import pytest
import torch

from inference.engine import Engine
from inference.sampling import SamplingParams, apply_penalties

MESSAGES = [{"role": "user", "content": "Say something."}]


def test_penalties_lower_each_generated_token_by_its_count_and_presence():
    logits = torch.tensor([1.0, 1.0, 1.0, 1.0])
    counts = torch.tensor([0.0, 1.0, 3.0, 0.0])
    params = SamplingParams(frequency_penalty=0.5, presence_penalty=0.25)

    assert apply_penalties(logits, counts, params).tolist() == [1.0, 0.25, -0.75, 1.0]


@pytest.mark.parametrize("name", ["frequency_penalty", "presence_penalty"])
def test_a_penalty_outside_openais_range_is_refused(name):
    with pytest.raises(ValueError, match=name):
        SamplingParams(**{name: -2.5})


def _reply(engine: Engine, **penalties: float) -> str:
    params = SamplingParams(max_tokens=24, ignore_eos=True, **penalties)
    return engine.complete(MESSAGES, params).text


def test_each_request_in_a_batch_gets_its_own_penalties(tiny_engine):
    plain = _reply(tiny_engine)
    # The random-weight model's logits span far less than 2, so a reply whose generated tokens
    # are boosted by 2 for each use repeats its first token to the end.
    boosted = _reply(tiny_engine, frequency_penalty=-2.0)
    assert boosted != plain
    assert boosted == boosted[: len(boosted) // 24] * 24

    # In one batch, each row keeps its own counts and settings.
    params = [
        SamplingParams(max_tokens=24, ignore_eos=True),
        SamplingParams(max_tokens=24, ignore_eos=True, frequency_penalty=-2.0),
    ]
    handles = [tiny_engine.submit(tiny_engine.prompt_ids(MESSAGES), p) for p in params]
    assert [Engine.collect(h).text for h in handles] == [plain, boosted]
    assert tiny_engine.stats.max_batch_seen == 2
