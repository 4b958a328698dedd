"""int8 prefill (int8 weights per output row, int8 activations per token) on a random-weight
Mixtral whose experts differ: products and logits stay within the stated tolerance."""

from __future__ import annotations

import pytest
import torch

from inference import gemv, kernels
from inference.engine import Engine
from inference.int8 import Int8Weights, int8_linear, prefill_linear
from tests.inference.conftest import PREFILL_IDS, prefill_last_logits, reference_last_logits


@pytest.mark.parametrize("rows", [1, 9, 200])
def test_the_int8_product_is_within_three_percent_of_fp32(rows):
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(rows, 576, generator=generator)
    weight = torch.randn(300, 576, generator=generator) * 0.05
    expected = x @ weight.T
    actual = int8_linear(x, Int8Weights.quantize(weight))
    assert actual.dtype == torch.float32 and actual.shape == expected.shape
    assert float((actual - expected).abs().max()) < 0.03 * float(expected.abs().max())
    # Per-token scales: a row of small values keeps its precision next to a row of large ones.
    scaled = x.clone()
    scaled[0] *= 1000
    small = int8_linear(scaled, Int8Weights.quantize(weight))[1:]
    torch.testing.assert_close(small, actual[1:], rtol=0, atol=0)


def test_the_compiled_and_the_torch_quantisation_agree(monkeypatch):
    assert gemv.available(), "the kernel did not build (is a C compiler installed?)"
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(33, 100, generator=generator)
    weight = Int8Weights.quantize(torch.randn(40, 100, generator=generator))
    compiled = int8_linear(x, weight)
    monkeypatch.setattr(kernels, "library", lambda: None)
    torch.testing.assert_close(int8_linear(x, weight), compiled, rtol=1e-6, atol=1e-5)


def test_stacked_expert_weights_quantise_per_expert_and_row():
    generator = torch.Generator().manual_seed(7)
    stack = torch.randn(4, 64, 32, generator=generator)
    stack[2] *= 100
    quantised = Int8Weights.quantize(stack)
    assert quantised.values.dtype == torch.int8 and quantised.scales.shape == (4, 64)
    x = torch.randn(10, 32, generator=generator)
    for expert in range(4):
        expected = x @ stack[expert].T
        actual = prefill_linear(x, quantised[expert])
        assert float((actual - expected).abs().max()) < 0.03 * float(expected.abs().max())


def test_int8_prefill_logits_stay_close_to_the_fp32_reference(tiny_mixtral):
    expected = reference_last_logits(tiny_mixtral, PREFILL_IDS)
    engine = Engine(
        tiny_mixtral, max_batch=2, max_context=256, prefill_dtype="int8", decode_dtype="bfloat16"
    )
    try:
        assert engine.prefill_dtype == "int8" and engine.decode_dtype == "bfloat16"
        layer = engine.model.model.layers[0]
        assert isinstance(layer.mlp.experts.prefill_gate_up_proj, Int8Weights)
        assert isinstance(layer.self_attn.o_proj.prefill_weight, Int8Weights)
        # The router keeps exact fp32 products at prefill too: expert choices are not rounded.
        assert getattr(layer.mlp.gate, "prefill_weight", None) is None
        actual = prefill_last_logits(engine, PREFILL_IDS)
    finally:
        engine.close()
    spread = float(expected.max() - expected.min())
    # The tolerance of docs/BENCHMARKS.md (Inference, int8 prefill): within 10% of the logits'
    # spread, and the same top token.
    assert float((actual - expected).abs().max()) < 0.1 * spread
    assert int(actual.argmax()) == int(expected.argmax())
