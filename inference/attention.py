"""Decode attention as two small batched matmuls, registered as a transformers attention function."""

from __future__ import annotations

import functools
import threading
from typing import Any

import torch

from inference import gemv

IMPLEMENTATION = "engine_sdpa"


def decode_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """One query token per row: scores, softmax, weighted values; longer queries go to SDPA."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    batch, heads, q_length, dim = query.shape
    if (
        q_length != 1
        or kwargs.get("softcap") is not None
        or kwargs.get("position_bias") is not None
    ):
        # A cache stored in bf16 hands back bf16 keys and values; SDPA wants one dtype.
        key, value = key.to(query.dtype), value.to(query.dtype)
        if _plain_causal(module, attention_mask, q_length, key.shape[2], kwargs):
            # A prompt's first chunk: SDPA's causal kernel skips the masked half of the scores,
            # which it computes (and then masks) when handed the same pattern as a mask.
            attention_mask = None
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout, scaling, **kwargs
        )
    # torch's CPU flash-attention kernel sizes per-thread buffers and opens a parallel region
    # per call; for a single query row that costs more than the arithmetic (3 ms a layer on
    # shared cores). The decode kernel does scores, softmax and values in one call, reading each
    # cached key and value once for all query heads of its group; where it does not apply,
    # grouped-query heads are folded into torch's matmuls instead of repeating K/V.
    kv_heads = key.shape[1]
    q = query.reshape(batch, kv_heads, heads // kv_heads, dim)
    scale = dim**-0.5 if scaling is None else scaling
    mask = attention_mask
    if mask is not None and mask.dtype == torch.bool and mask.numel() == batch * key.shape[2]:
        mask = mask.reshape(batch, key.shape[2])
    out = (
        gemv.decode_attention(q, key, value, mask, scale)
        if mask is None or mask.dim() == 2
        else None
    )
    if out is not None:
        return out.reshape(batch, 1, heads, dim), None
    out = attend_with_torch(q, key, value, attention_mask, scale)
    return out.reshape(batch, 1, heads, dim), None


def attend_with_torch(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
) -> torch.Tensor:
    """One query token per row with torch's matmuls, where the kernel does not apply: query
    (B, kv_heads, G, D), key and value (B, kv_heads, L, D) in any dtype, mask with B * L
    entries (bool: attend where set; else added to the scores). Returns (B, kv_heads, G, D)."""
    batch = query.shape[0]
    key, value = key.to(query.dtype), value.to(query.dtype)
    scores = torch.matmul(query, key.transpose(-1, -2))
    scores.mul_(scale)
    if mask is not None:
        if mask.dtype == torch.bool:
            scores.masked_fill_(~mask.reshape(batch, 1, 1, -1), float("-inf"))
        else:
            scores.add_(mask.reshape(batch, 1, 1, -1))
    probs = torch.softmax(scores, dim=-1).to(value.dtype)
    return torch.matmul(probs, value)


@functools.lru_cache(maxsize=4)
def _causal(length: int) -> torch.Tensor:
    return torch.ones(length, length, dtype=torch.bool).tril()


def _plain_causal(
    module: torch.nn.Module,
    mask: torch.Tensor | None,
    q_length: int,
    kv_length: int,
    kwargs: dict[str, Any],
) -> bool:
    """True when `mask` says exactly what SDPA's `is_causal` does: every query sees itself and
    the queries before it, nothing else (a prompt from position 0, not packed, no window)."""
    return (
        mask is not None
        and mask.dtype == torch.bool
        and q_length == kv_length
        and mask.numel() == q_length * q_length
        and getattr(module, "is_causal", True)
        and kwargs.get("is_causal", True) is not False
        and _is_causal_pattern(mask, q_length)
    )


# The last mask checked and the answer, per thread: every layer of a forward gets the same mask
# object, so the comparison (0.3 ms for 1,000 positions) runs once per forward, not per layer.
_last_checked = threading.local()


def _is_causal_pattern(mask: torch.Tensor, length: int) -> bool:
    last = getattr(_last_checked, "entry", None)
    if last is not None and last[0] is mask:
        return bool(last[1])
    answer = torch.equal(mask.reshape(length, length), _causal(length))
    _last_checked.entry = (mask, answer)
    return answer


def use_decode_attention(model: torch.nn.Module) -> bool:
    """Switch `model` from SDPA to the decode-aware function; False when it uses something else."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    if getattr(model.config, "_attn_implementation", None) != "sdpa":
        return False
    AttentionInterface.register(IMPLEMENTATION, decode_attention_forward)
    AttentionMaskInterface.register(IMPLEMENTATION, sdpa_mask)
    model.set_attn_implementation(IMPLEMENTATION)  # type: ignore[operator]  # a PreTrainedModel
    return True
