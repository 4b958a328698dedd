"""The engine's lean decode step gives transformers' logits, for every supported architecture."""

from __future__ import annotations

import pytest
import torch

from inference import gemv
from inference.engine import Engine
from inference.kvcache import decode_mask, prefill_mask

from .conftest import ARCHITECTURES


def _prefill(engine: Engine, prompts: list[list[int]]) -> list[list[int]]:
    sequences = []
    for slot, ids in enumerate(prompts):
        engine._cache.prepare_prefill(slot=slot, start=0, length=len(ids))
        logits = engine._forward(
            torch.tensor([ids]), torch.arange(len(ids))[None], prefill_mask(0, len(ids))
        )
        sequences.append([*ids, int(logits[0].argmax())])
    return sequences


@pytest.mark.parametrize("decode_dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_lean_steps_equal_the_transformers_forward(make_tiny_model, arch, decode_dtype):
    engine = Engine(make_tiny_model(arch), max_batch=4, max_context=256, decode_dtype=decode_dtype)
    engine.close()  # drive the model from this thread
    assert engine._lean is not None, f"{arch} should take the lean decode step"
    assert all(layer.fused_experts for layer in engine._lean.layers)
    _compare_steps(engine)


def test_lean_steps_without_the_attention_kernel_equal_the_transformers_forward(
    make_tiny_model, monkeypatch
):
    # Head sizes the kernel does not take fall back to torch's matmuls, in both paths.
    engine = Engine(make_tiny_model("mixtral"), max_batch=4, max_context=256)
    engine.close()
    monkeypatch.setattr(gemv, "decode_attention", lambda *args: None)
    _compare_steps(engine)


def test_batches_past_the_kernels_row_limit_equal_the_transformers_forward(make_tiny_model):
    # `--max-batch 12`: products of more rows than the decode kernel takes go to torch, and the
    # expert kernel's segments run in chunks of rows. fp32 weights: with bf16 ones, transformers'
    # forward takes its bf16 prefill products past 8 rows (bf16 inputs and outputs), whose
    # rounding flips routing choices of this random model, so it is no reference at 1e-4.
    engine = Engine(make_tiny_model("qwen2_moe"), max_batch=12, max_context=256)
    engine.close()
    prompts = [[7 + i, 300 + 3 * i, 11, 2000 - i][: 2 + i % 3] for i in range(12)]
    _compare_steps(engine, [prompts])


def _compare_steps(engine: Engine, batches: list[list[list[int]]] | None = None) -> None:
    # One row alone (its own code path), then three rows of different lengths together.
    batches = batches or [
        [[5, 900, 77, 1203]],
        [[5, 900, 77, 1203, 42, 8], [300, 301, 302], [9] * 11],
    ]
    for prompts in batches:
        with torch.inference_mode():
            sequences = _prefill(engine, prompts)
            for _ in range(4):
                where = [len(seq) - 1 for seq in sequences]
                positions = torch.tensor(where)
                engine._cache.prepare_decode(positions)
                lean = engine._lean([seq[-1] for seq in sequences], where, engine._cache)
                # The same step again through transformers: it rewrites the same cache entries.
                engine._cache.prepare_decode(positions)
                expected = engine._forward(
                    torch.tensor([[seq[-1]] for seq in sequences]),
                    positions.unsqueeze(1),
                    decode_mask(positions),
                )
                torch.testing.assert_close(lean, expected, atol=1e-4, rtol=0)
                for row, seq in enumerate(sequences):
                    seq.append(int(expected[row].argmax()))


def test_other_architectures_keep_the_transformers_forward(make_tiny_model):
    engine = Engine(make_tiny_model("mixtral"), max_batch=2, max_context=256, fast_decode=False)
    engine.close()
    assert engine._lean is None
