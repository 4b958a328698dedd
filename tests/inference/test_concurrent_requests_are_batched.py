from __future__ import annotations

from inference.engine import Delta
from inference.sampling import SamplingParams

from .conftest import wait_until


def test_requests_submitted_together_decode_in_one_batch(tiny_engine):
    params = SamplingParams(max_tokens=40, ignore_eos=True)
    handles = [tiny_engine.submit([10 + i, 20, 30], params) for i in range(6)]
    results = [tiny_engine.collect(h) for h in handles]
    assert all(r.completion_tokens == 40 for r in results)
    assert tiny_engine.stats.max_batch_seen == 6
    # Six 40-token answers in far fewer than 6 * 40 forward passes.
    assert tiny_engine.stats.decode_steps < 80


def test_a_new_request_joins_a_batch_that_is_already_running(tiny_engine):
    long_running = tiny_engine.submit([5, 6, 7], SamplingParams(max_tokens=200, ignore_eos=True))
    first = next(long_running.events())
    assert isinstance(first, Delta) or first is not None
    latecomer = tiny_engine.collect(
        tiny_engine.submit([8, 9], SamplingParams(max_tokens=5, ignore_eos=True))
    )
    assert latecomer.completion_tokens == 5
    assert not long_running.done.is_set(), "the latecomer did not wait for the long answer"
    assert tiny_engine.stats.joined_running_batch >= 1
    assert tiny_engine.stats.max_batch_seen == 2
    long_running.cancel()
    assert wait_until(long_running.done.is_set)


def test_prompts_arriving_together_are_prefilled_in_one_forward(tiny_engine):
    # A burst arriving while the engine is busy is waiting together at the next step; their
    # prefill then shares one forward, and each still gets its own answer.
    running = tiny_engine.submit([5, 6, 7], SamplingParams(max_tokens=10_000, ignore_eos=True))
    next(running.events())
    params = SamplingParams(max_tokens=6, ignore_eos=True)
    prompts = [[1200, 7, 3301], [40, 41, 42, 43, 44], [2718, 2818, 1828], [999, 5, 77, 3000]]
    burst = [tiny_engine.submit(prompt, params) for prompt in prompts]
    together = [tiny_engine.collect(handle) for handle in burst]
    running.cancel()
    assert tiny_engine.stats.prompts_prefilled_together >= 2
    alone = [tiny_engine.collect(tiny_engine.submit(prompt, params)) for prompt in prompts]
    assert [r.text for r in together] == [r.text for r in alone]
    assert all(r.completion_tokens == 6 for r in together)
