"""The opt-in bf16 prefill moves logits only slightly, on a random-weight Mixtral (experts differ)."""

from __future__ import annotations

import torch

from inference.engine import Engine
from tests.inference.conftest import PREFILL_IDS, prefill_last_logits, reference_last_logits


def test_bf16_prefill_logits_stay_close_to_the_fp32_reference(tiny_mixtral):
    expected = reference_last_logits(tiny_mixtral, PREFILL_IDS)
    engine = Engine(tiny_mixtral, max_batch=2, max_context=256, prefill_dtype="bfloat16")
    try:
        actual = prefill_last_logits(engine, PREFILL_IDS)
    finally:
        engine.close()
    assert engine.model.model.layers[0].mlp.experts.prefill_gate_up_proj.dtype == torch.bfloat16
    spread = float(expected.max() - expected.min())
    assert float((actual - expected).abs().max()) < 0.02 * spread
    assert torch.equal(actual.topk(5).indices, expected.topk(5).indices)
