"""The engine's fast path (sparse experts + slot KV cache, batched) against transformers' own."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM

from inference.engine import Engine
from inference.experts import use_sparse_topk
from inference.kvcache import SlotKVCache, decode_mask, packed_prefill_mask, prefill_mask
from inference.sampling import SamplingParams


def _reference(path):
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model.config._experts_implementation = "eager"
    return model.eval()


def _decode_against_reference(fast, reference, cache, sequences, steps) -> float:
    """Decode all sequences together for `steps` steps (following the reference's greedy tokens)
    and return the largest logit difference from the reference run on each sequence alone."""
    worst = 0.0
    for _ in range(steps):
        positions = torch.tensor([len(s) - 1 for s in sequences])
        cache.prepare_decode(positions)
        out = fast(
            input_ids=torch.tensor([[s[-1]] for s in sequences]),
            position_ids=positions[:, None],
            attention_mask=decode_mask(positions),
            cache=cache,
            use_cache=True,
        )
        for row, seq in enumerate(sequences):
            expected = reference(input_ids=torch.tensor([seq])).logits[0, -1]
            worst = max(worst, float((out.logits[row, -1] - expected).abs().max()))
            seq.append(int(expected.argmax()))
    return worst


def _prefill_each(fast, cache, prompts) -> list[list[int]]:
    """Prefill each prompt into its own slot; return each prompt followed by its greedy token."""
    sequences = []
    for slot, ids in enumerate(prompts):
        cache.prepare_prefill(slot=slot, start=0, length=len(ids))
        out = fast(
            input_ids=torch.tensor([ids]),
            position_ids=torch.arange(len(ids))[None],
            attention_mask=prefill_mask(0, len(ids)),
            cache=cache,
            use_cache=True,
        )
        sequences.append([*ids, int(out.logits[0, -1].argmax())])
    return sequences


def test_batched_decode_logits_match_the_reference_forward(tiny_mixtral):
    reference = _reference(tiny_mixtral)
    fast = AutoModelForCausalLM.from_pretrained(
        tiny_mixtral, dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    assert use_sparse_topk(fast) > 0
    prompts = [[5, 900, 77, 1203, 42, 8], [300, 301, 302]]  # different lengths in one batch
    steps = 5
    cache = SlotKVCache(slots=2, max_length=64, initial_capacity=4)  # forces growth, too
    with torch.inference_mode():
        sequences = _prefill_each(fast, cache, prompts)
        worst = _decode_against_reference(fast, reference, cache, sequences, steps)
    assert worst < 1e-4, f"max abs logit difference {worst}"


def test_prompts_prefilled_together_match_the_reference_forward(tiny_mixtral):
    # Three prompts packed into one row (a burst of requests): each prompt's last logits, and
    # the decode steps that follow from the slots the packed forward filled, equal each prompt
    # run alone through transformers.
    reference = _reference(tiny_mixtral)
    fast = AutoModelForCausalLM.from_pretrained(
        tiny_mixtral, dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    assert use_sparse_topk(fast) > 0
    prompts = [[5, 900, 77, 1203, 42, 8], [300, 301, 302], [9, 1, 4000, 17, 23]]
    lengths = [len(p) for p in prompts]
    cache = SlotKVCache(slots=4, max_length=64, initial_capacity=4)
    worst = 0.0
    with torch.inference_mode():
        cache.prepare_packed(first_slot=1, lengths=lengths)  # slot 0 is some other sequence's
        out = fast(
            input_ids=torch.tensor([[t for p in prompts for t in p]]),
            position_ids=torch.cat([torch.arange(n) for n in lengths])[None],
            attention_mask=packed_prefill_mask(lengths),
            cache=cache,
            use_cache=True,
            logits_to_keep=torch.tensor(lengths).cumsum(0) - 1,
        )
        assert out.logits.shape[1] == len(prompts)
        sequences = [list(p) for p in prompts]
        for row, seq in enumerate(sequences):
            expected = reference(input_ids=torch.tensor([seq])).logits[0, -1]
            worst = max(worst, float((out.logits[0, row] - expected).abs().max()))
            seq.append(int(expected.argmax()))
        cache.move(3, 0)  # as the engine compacts: rows 1..3 become 0..2 with one move
        sequences = [sequences[2], sequences[0], sequences[1]]
        worst = max(worst, _decode_against_reference(fast, reference, cache, sequences, 4))
    assert worst < 1e-4, f"max abs logit difference {worst}"


def test_greedy_generation_matches_transformers_generate(tiny_mixtral):
    reference = _reference(tiny_mixtral)
    engine = Engine(tiny_mixtral, max_batch=4, max_context=256)
    try:
        prompts = [[11, 12, 13, 14, 15], [400, 401], [7, 8, 9]]
        params = SamplingParams(max_tokens=12, ignore_eos=True)
        handles = [engine.submit(p, params) for p in prompts]  # decoded together
        results = [engine.collect(h) for h in handles]
    finally:
        engine.close()
    tokenizer = engine.tokenizer
    for prompt, result in zip(prompts, results, strict=True):
        generated = reference.generate(
            torch.tensor([prompt]), max_new_tokens=12, do_sample=False, eos_token_id=None
        )[0, len(prompt) :]
        assert result.text == tokenizer.decode(generated, skip_special_tokens=True)


def test_decode_attention_through_the_kernel_matches_the_reference_forward(tiny_mixtral):
    from inference import gemv
    from inference.attention import use_decode_attention

    reference = _reference(tiny_mixtral)
    fast = AutoModelForCausalLM.from_pretrained(
        tiny_mixtral, dtype=torch.float32, attn_implementation="sdpa"
    ).eval()
    assert use_sparse_topk(fast) > 0 and use_decode_attention(fast)
    # Three rows of ~200 positions, of different lengths (masked tails in the batch).
    generator = torch.Generator().manual_seed(3)
    prompts = [
        torch.randint(100, 40000, (n,), generator=generator).tolist() for n in (200, 180, 190)
    ]
    calls = []
    real = gemv.decode_attention

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    cache = SlotKVCache(slots=3, max_length=256)
    with torch.inference_mode():
        sequences = _prefill_each(fast, cache, prompts)
        gemv.decode_attention = counted
        try:
            worst = _decode_against_reference(fast, reference, cache, sequences, 4)
        finally:
            gemv.decode_attention = real
    assert calls and all(calls), "the kernel's attention did not run"
    assert worst < 1e-4, f"max abs logit difference {worst}"


def test_a_lone_token_takes_a_shortcut_through_its_experts_with_the_same_result(
    tiny_engine, monkeypatch
):
    import inference.experts as experts_module

    experts = next(m for m in tiny_engine.model.modules() if hasattr(m, "gate_up_proj"))
    generator = torch.Generator().manual_seed(0)
    hidden = torch.randn(1, experts.gate_up_proj.shape[-1], generator=generator)
    weights = torch.softmax(torch.randn(1, 2, generator=generator), dim=-1)
    for chosen in ([3, 1], [0, 2], [2, 3]):  # the tiny model has 4 experts
        index = torch.tensor([chosen])
        runs = getattr(experts, "experts_run", 0)
        shortcut = experts_module._one_token(experts, hidden, index, weights)
        assert shortcut is not None and experts.experts_run - runs == 2
        with monkeypatch.context() as patch:
            patch.setattr(experts_module, "_one_token", lambda *args: None)
            general = experts_module.sparse_topk_experts_forward(experts, hidden, index, weights)

        assert torch.equal(shortcut, general)  # to the bit: batch 1 decodes as a batch would
