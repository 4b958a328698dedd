"""A sparse experts forward that only touches the experts the router picked."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

IMPLEMENTATION = "sparse_topk"


def sparse_topk_experts_forward(
    self: Any,
    hidden_states: torch.Tensor,
    top_k_index: torch.Tensor,
    top_k_weights: torch.Tensor,
) -> torch.Tensor:
    """Run each selected expert once over the tokens routed to it, reading no other expert."""
    top_k = top_k_index.shape[-1]
    flat_experts = top_k_index.reshape(-1)
    # Sorting (token, slot) pairs by expert turns routing into contiguous segments; the counts
    # come back to Python once so each segment is one plain matmul on a view of the 3D weight
    # (no gather copy of weights, which would double the memory traffic of a decode step).
    order = torch.argsort(flat_experts, stable=True)
    counts = torch.bincount(flat_experts, minlength=self.num_experts).tolist()
    token_of = order // top_k
    weights = top_k_weights.reshape(-1)[order].to(hidden_states.dtype).unsqueeze(-1)
    routed = hidden_states[token_of]
    out = torch.zeros_like(hidden_states)
    start = 0
    for expert, count in enumerate(counts):
        if count == 0 or expert >= self.num_experts:
            start += count
            continue
        end = start + count
        x = routed[start:end]
        h = F.linear(x, self.gate_up_proj[expert])
        h = self._apply_gate(h)
        y = F.linear(h, self.down_proj[expert]) * weights[start:end]
        out.index_add_(0, token_of[start:end], y)
        start = end
    return out


def supports_sparse_topk(experts: torch.nn.Module) -> bool:
    """True when an experts module has the layout the sparse forward understands."""
    return (
        getattr(experts, "has_gate", False)
        and not getattr(experts, "has_bias", True)
        and not getattr(experts, "is_transposed", True)
        and not getattr(experts, "has_post_expert_norm", True)
        and isinstance(getattr(experts, "gate_up_proj", None), torch.Tensor)
        and isinstance(getattr(experts, "down_proj", None), torch.Tensor)
    )


def register() -> None:
    """Make the sparse forward selectable as a transformers experts implementation."""
    from transformers.integrations.moe import ALL_EXPERTS_FUNCTIONS

    if IMPLEMENTATION not in ALL_EXPERTS_FUNCTIONS:
        ALL_EXPERTS_FUNCTIONS.register(IMPLEMENTATION, sparse_topk_experts_forward)


def use_sparse_topk(model: torch.nn.Module) -> int:
    """Switch every compatible experts module of `model` to the sparse forward; return how many."""
    register()
    switched = 0
    for module in model.modules():
        if hasattr(module, "gate_up_proj") and supports_sparse_topk(module):
            config = getattr(module, "config", None)
            if config is not None:
                config._experts_implementation = IMPLEMENTATION
                switched += 1
    return switched
