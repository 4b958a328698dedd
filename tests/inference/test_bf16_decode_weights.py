"""bf16 decode weights: half the bytes, fp32 activations, answers within the stated tolerance."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from inference import gemv
from inference.engine import Engine
from inference.kvcache import decode_mask, prefill_mask
from inference.loading import resolve_decode_dtype, weight_bytes_per_token
from inference.sampling import SamplingParams
from tests.inference.conftest import PREFILL_IDS, prefill_last_logits, reference_last_logits


def test_auto_picks_bf16_where_the_kernel_runs_and_only_for_fp32_weights():
    assert resolve_decode_dtype("auto", torch.float32, kernel=True) is torch.bfloat16
    assert resolve_decode_dtype("auto", torch.float32, kernel=False) is torch.float32
    assert resolve_decode_dtype("float32", torch.float32, kernel=True) is torch.float32
    assert resolve_decode_dtype("bfloat16", torch.bfloat16, kernel=True) is torch.bfloat16
    with pytest.raises(ValueError, match="float16"):
        resolve_decode_dtype("float16", torch.float32, kernel=True)


def test_the_kernel_reads_bf16_weights_as_their_fp32_values():
    assert gemv.available()
    generator = torch.Generator().manual_seed(3)
    weight = torch.randn(577, 100, generator=generator).to(torch.bfloat16)
    exact = weight.float()
    for rows in range(1, gemv.MAX_ROWS + 1):
        x = torch.randn(rows, 100, generator=generator)
        torch.testing.assert_close(gemv.matmul_rows(x, weight), x @ exact.T, atol=1e-3, rtol=1e-4)
    stack = torch.randn(4, 300, 64, generator=generator).to(torch.bfloat16)
    x = torch.randn(9, 64, generator=generator)
    out = gemv.matmul_grouped(x, stack, [(2, 1), (0, 8)])
    expected = torch.cat([x[:1] @ stack[2].float().T, x[1:] @ stack[0].float().T])
    torch.testing.assert_close(out, expected, atol=1e-3, rtol=1e-4)


def test_decode_logits_stay_close_to_the_fp32_reference(tiny_mixtral):
    reference = AutoModelForCausalLM.from_pretrained(tiny_mixtral, dtype=torch.float32).eval()
    reference.config._experts_implementation = "eager"
    engine = Engine(tiny_mixtral, max_batch=2, max_context=256, decode_dtype="bfloat16")
    try:
        assert engine.decode_dtype == "bfloat16" and engine.prefill_dtype == "bfloat16"
        experts = engine.model.model.layers[0].mlp.experts
        assert experts.gate_up_proj.dtype == torch.bfloat16
        assert engine.model.model.layers[0].self_attn.q_proj.weight.dtype == torch.bfloat16
        # The router keeps fp32 weights, so expert choices are not rounded.
        assert engine.model.model.layers[0].mlp.gate.weight.dtype == torch.float32
        sequence = [(37 * i + 11) % 4000 for i in range(20)]
        worst_share = 0.0
        with torch.inference_mode():
            engine._cache.prepare_prefill(slot=0, start=0, length=len(sequence))
            out = engine._forward(
                torch.tensor([sequence]),
                torch.arange(len(sequence))[None],
                prefill_mask(0, len(sequence)),
            )
            for _ in range(6):
                expected = reference(input_ids=torch.tensor([sequence])).logits[0, -1]
                spread = float(expected.max() - expected.min())
                worst_share = max(worst_share, float((out[0] - expected).abs().max()) / spread)
                # (a random model's top logits are near-ties; their order may swap)
                assert int(expected.argmax()) in out[0].topk(5).indices.tolist()
                sequence.append(int(expected.argmax()))
                positions = torch.tensor([len(sequence) - 1])
                engine._cache.prepare_decode(positions)
                out = engine._forward(
                    torch.tensor([[sequence[-1]]]), positions[:, None], decode_mask(positions)
                )
    finally:
        engine.close()
    assert worst_share < 0.02, f"logits moved by {worst_share:.1%} of their spread"


def test_bf16_weights_halve_the_bytes_a_token_reads(tiny_mixtral):
    fp32 = Engine(tiny_mixtral, max_batch=1, max_context=64)
    bf16 = Engine(tiny_mixtral, max_batch=1, max_context=64, decode_dtype="bfloat16")
    try:
        ratio = weight_bytes_per_token(bf16.model) / weight_bytes_per_token(fp32.model)
        params = SamplingParams(max_tokens=5, ignore_eos=True)
        assert bf16.collect(bf16.submit([5, 6, 7], params)).completion_tokens == 5
    finally:
        fp32.close()
        bf16.close()
    assert 0.45 < ratio < 0.6  # norms, routers and the embedding row stay fp32


def test_an_fp32_prefill_keeps_the_fp32_weights_beside_bf16_decode_weights(tiny_mixtral):
    expected = reference_last_logits(tiny_mixtral, PREFILL_IDS)
    engine = Engine(
        tiny_mixtral,
        max_batch=1,
        max_context=256,
        decode_dtype="bfloat16",
        prefill_dtype="float32",
    )
    try:
        assert engine.decode_dtype == "bfloat16" and engine.prefill_dtype == "float32"
        layer = engine.model.model.layers[0]
        assert layer.self_attn.q_proj.weight.dtype == torch.bfloat16
        assert layer.self_attn.q_proj.prefill_weight.dtype == torch.float32
        assert layer.mlp.experts.gate_up_proj.dtype == torch.bfloat16
        assert layer.mlp.experts.prefill_gate_up_proj.dtype == torch.float32
        actual = prefill_last_logits(engine, PREFILL_IDS)
    finally:
        engine.close()
    # An fp32 prefill is the reference's arithmetic, but for the last token's logits: prefill
    # computes them for one row, with the LM head's bf16 decode weights.
    spread = float(expected.max() - expected.min())
    assert float((actual - expected).abs().max()) < 2e-3 * spread
    assert torch.equal(actual.topk(5).indices, expected.topk(5).indices)
