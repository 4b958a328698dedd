from __future__ import annotations

from inference.sampling import SamplingParams


def test_the_same_seed_gives_the_same_reply(tiny_engine):
    messages = [{"role": "user", "content": "Pick some words."}]

    def reply(seed):
        params = SamplingParams(
            max_tokens=16, temperature=1.0, top_p=0.9, seed=seed, ignore_eos=True
        )
        return tiny_engine.complete(messages, params).text

    first = reply(7)
    assert reply(7) == first
    assert any(reply(seed) != first for seed in (8, 9, 10))
