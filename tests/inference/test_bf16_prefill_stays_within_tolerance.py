"""The opt-in bf16 prefill moves logits only slightly, on a random-weight Mixtral (experts differ)."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM

from inference.engine import Engine
from inference.kvcache import prefill_mask


def test_bf16_prefill_logits_stay_close_to_the_fp32_reference(tiny_mixtral):
    reference = AutoModelForCausalLM.from_pretrained(tiny_mixtral, dtype=torch.float32).eval()
    reference.config._experts_implementation = "eager"
    engine = Engine(tiny_mixtral, max_batch=2, max_context=256, prefill_dtype="bfloat16")
    try:
        ids = [(37 * i + 11) % 4000 for i in range(96)]  # long enough for the bf16 path
        with torch.inference_mode():
            expected = reference(input_ids=torch.tensor([ids])).logits[0, -1]
            engine._cache.prepare_prefill(slot=0, start=0, length=len(ids))
            actual = engine.model(
                input_ids=torch.tensor([ids]),
                position_ids=torch.arange(len(ids))[None],
                attention_mask=prefill_mask(0, len(ids)),
                cache=engine._cache,
                use_cache=True,
            ).logits[0, -1]
    finally:
        engine.close()
    assert engine.model.model.layers[0].mlp.experts.prefill_gate_up_proj.dtype == torch.bfloat16
    spread = float(expected.max() - expected.min())
    assert float((actual - expected).abs().max()) < 0.02 * spread
    assert torch.equal(actual.topk(5).indices, expected.topk(5).indices)
