"""Prompt attention hands a plain causal mask to SDPA's causal kernel and every other mask to SDPA
as a mask; either way the result is attention under that mask."""

from __future__ import annotations

import pytest
import torch

from inference import attention
from inference.kvcache import packed_prefill_mask, prefill_mask


class _Layer(torch.nn.Module):
    is_causal = True
    num_key_value_groups = 2


def _reference(q, k, v, mask):
    k, v = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    scores = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
    scores = scores.masked_fill(~mask, float("-inf"))
    return (torch.softmax(scores, dim=-1) @ v).transpose(1, 2)


@pytest.mark.parametrize(
    "name, mask, keys",
    [
        ("first chunk", prefill_mask(0, 12), 12),
        ("later chunk", prefill_mask(5, 7), 12),
        ("packed prompts", packed_prefill_mask([5, 4, 3]), 12),
    ],
)
def test_prompt_attention_matches_attention_under_the_mask(name, mask, keys, monkeypatch):
    queries = mask.shape[-2]
    generator = torch.Generator().manual_seed(3)
    q = torch.randn(1, 4, queries, 16, generator=generator)
    k = torch.randn(1, 2, keys, 16, generator=generator)
    v = torch.randn(1, 2, keys, 16, generator=generator)
    handed: list[torch.Tensor | None] = []
    import transformers.integrations.sdpa_attention as sdpa

    original = sdpa.sdpa_attention_forward

    def recording(module, query, key, value, attention_mask, *args, **kwargs):
        handed.append(attention_mask)
        return original(module, query, key, value, attention_mask, *args, **kwargs)

    monkeypatch.setattr(sdpa, "sdpa_attention_forward", recording)

    out, _ = attention.decode_attention_forward(_Layer(), q, k, v, mask)

    torch.testing.assert_close(out, _reference(q, k, v, mask), atol=1e-5, rtol=1e-5)
    causal_kernel = handed[0] is None
    assert causal_kernel == (name == "first chunk")
