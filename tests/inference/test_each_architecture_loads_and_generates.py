from __future__ import annotations

import pytest
import torch

from inference.engine import Engine
from inference.kvcache import packed_prefill_mask, prefill_mask
from inference.sampling import SamplingParams

from .conftest import ARCHITECTURES


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_it_loads_a_tiny_checkpoint_and_generates(make_tiny_model, arch):
    engine = Engine(make_tiny_model(arch), max_batch=4, max_context=128)
    try:
        assert engine.sparse_experts, "the sparse experts path should apply to every MoE here"
        result = engine.complete(
            [{"role": "user", "content": "Hello there"}],
            SamplingParams(max_tokens=8, ignore_eos=True),
        )
    finally:
        engine.close()
    assert result.completion_tokens == 8
    assert result.finish_reason == "length"
    assert result.prompt_tokens > 0


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_prompts_packed_into_one_prefill_get_their_own_logits(make_tiny_model, arch):
    engine = Engine(make_tiny_model(arch), max_batch=4, max_context=128)
    prompts = [[5, 900, 77, 1203, 42], [300, 301], [9, 1, 3000, 17]]
    lengths = [len(p) for p in prompts]
    try:
        with torch.inference_mode():
            engine._cache.prepare_packed(first_slot=0, lengths=lengths)
            packed = engine.model(
                input_ids=torch.tensor([[t for p in prompts for t in p]]),
                position_ids=torch.cat([torch.arange(n) for n in lengths])[None],
                attention_mask=packed_prefill_mask(lengths),
                use_cache=True,
                logits_to_keep=torch.tensor(lengths).cumsum(0) - 1,
                **{engine._cache_kwarg: engine._cache},
            ).logits[0]
            for row, prompt in enumerate(prompts):
                engine._cache.prepare_prefill(slot=3, start=0, length=len(prompt))
                alone = engine._forward(
                    torch.tensor([prompt]),
                    torch.arange(len(prompt))[None],
                    prefill_mask(0, len(prompt)),
                )[0]
                torch.testing.assert_close(packed[row], alone, atol=1e-4, rtol=1e-4)
    finally:
        engine.close()


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_it_generates_with_bf16_decode_weights(make_tiny_model, arch):
    engine = Engine(make_tiny_model(arch), max_batch=2, max_context=128, decode_dtype="bfloat16")
    try:
        assert engine.decode_dtype == "bfloat16"
        params = SamplingParams(max_tokens=8, ignore_eos=True)
        handles = [engine.submit([7, 8, 9], params), engine.submit([100, 200], params)]
        results = [engine.collect(handle) for handle in handles]
    finally:
        engine.close()
    assert [r.completion_tokens for r in results] == [8, 8]
