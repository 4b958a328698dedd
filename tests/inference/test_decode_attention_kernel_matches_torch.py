"""Decode attention through the kernel against torch: slot-cache views, masks, grouped heads."""

from __future__ import annotations

import pytest
import torch

from inference import gemv


@pytest.fixture(autouse=True)
def kernel():
    assert gemv.available(), "the decode kernel did not build (is a C compiler installed?)"
    yield
    gemv.set_threads(1)


def _reference(query, key, value, mask, scale):
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), value)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    ("batch", "kv_heads", "groups", "length", "dim"),
    [(8, 3, 3, 1000, 64), (1, 2, 4, 700, 128), (3, 1, 1, 513, 16), (2, 4, 8, 300, 256)],
)
def test_attention_over_slot_cache_views_equals_torch(
    dtype, threads, batch, kv_heads, groups, length, dim
):
    gemv.set_threads(threads)
    generator = torch.Generator().manual_seed(length)
    # The engine's cache: (slots, kv_heads, capacity, dim), attended through a view of the first
    # `length` positions of the first `batch` slots.
    # A bf16 cache is read as stored and widened in registers: the reference gets the same
    # rounded numbers in fp32.
    keys = torch.randn(batch + 2, kv_heads, length + 37, dim, generator=generator).to(dtype)
    values = torch.randn(batch + 2, kv_heads, length + 37, dim, generator=generator).to(dtype)
    key, value = keys[:batch, :, :length], values[:batch, :, :length]
    query = torch.randn(batch, kv_heads, groups, dim, generator=generator)
    # Each row has its own position: keys after it are masked.
    positions = torch.randint(0, length, (batch,), generator=generator)
    positions[0] = length - 1
    mask = torch.arange(length)[None, :] <= positions[:, None]

    out = gemv.decode_attention(query, key, value, mask, dim**-0.5)

    assert out is not None
    wide_key, wide_value = key.float(), value.float()
    torch.testing.assert_close(
        out, _reference(query, wide_key, wide_value, mask, dim**-0.5), atol=2e-5, rtol=1e-4
    )
    unmasked = gemv.decode_attention(query, key, value, None, 0.5)
    assert unmasked is not None
    torch.testing.assert_close(
        unmasked, _reference(query, wide_key, wide_value, None, 0.5), atol=2e-5, rtol=1e-4
    )


def test_what_the_kernel_does_not_cover_is_left_to_torch():
    query = torch.randn(8, 2, 2, 64)
    key = value = torch.randn(8, 2, 1000, 64)
    mask = torch.ones(8, 1000, dtype=torch.bool)
    assert gemv.decode_attention(query, key, value, mask, 0.125) is not None
    # Short contexts are covered too (one call costs less than torch's matmuls at any length).
    assert gemv.decode_attention(query[:1], key[:1, :, :3], value[:1, :, :3], None, 0.1) is not None
    # Additive masks, keys and values of different dtypes, head sizes the vectors do not divide,
    # and keys that are not rows of a slot cache.
    assert gemv.decode_attention(query, key, value, torch.zeros(8, 1000), 0.125) is None
    assert gemv.decode_attention(query, key.bfloat16(), value, mask, 0.125) is None
    odd = torch.randn(8, 2, 1000, 40)
    assert gemv.decode_attention(torch.randn(8, 2, 2, 40), odd, odd, mask, 0.125) is None
    assert (
        gemv.decode_attention(
            query, key.transpose(2, 3).contiguous().transpose(2, 3), value, mask, 0.1
        )
        is None
    )
