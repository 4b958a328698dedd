"""A sparse experts forward that only touches the experts the router picked."""

from __future__ import annotations

from typing import Any

import torch

from inference.gemv import (
    MAX_ROWS,
    PREFILL_MIN_ROWS,
    grouped_supported,
    linear,
    matmul_grouped,
)
from inference.int8 import prefill_copy, prefill_linear

IMPLEMENTATION = "sparse_topk"


def sparse_topk_experts_forward(
    self: Any,
    hidden_states: torch.Tensor,
    top_k_index: torch.Tensor,
    top_k_weights: torch.Tensor,
) -> torch.Tensor:
    """Run each selected expert once over the tokens routed to it, reading no other expert."""
    tokens, top_k = top_k_index.shape
    if tokens == 1:
        single = _one_token(self, hidden_states, top_k_index, top_k_weights)
        if single is not None:
            return single
    flat_experts = top_k_index.reshape(-1)
    # Sorting (token, slot) pairs by expert turns routing into contiguous segments; the counts
    # come back to Python once so each segment is one plain matmul on a view of the 3D weight
    # (no gather copy of weights, which would double the memory traffic of a decode step).
    order = torch.argsort(flat_experts, stable=True)
    counts = torch.bincount(flat_experts, minlength=self.num_experts).tolist()
    # How many experts ran (and so had their weights read), for the benchmark's batch figures.
    self.experts_run = getattr(self, "experts_run", 0) + sum(1 for c in counts if c)
    self.forward_calls = getattr(self, "forward_calls", 0) + 1
    token_of = order // top_k
    routed = hidden_states[token_of]
    prefill = tokens >= PREFILL_MIN_ROWS
    low_precision = getattr(self, "prefill_gate_up_proj", None) is not None
    if (
        # A decode step, or a prefill with no bf16 copies to use and few rows per expert.
        (not prefill or (not low_precision and max(counts) <= MAX_ROWS))
        and len(counts) == self.num_experts  # no padding index
        and grouped_supported(routed, self.gate_up_proj)
        and grouped_supported(routed, self.down_proj)
    ):
        # Decode: a few rows per expert, the memory-bound case. All of the layer's experts go
        # to the kernel as one grouped product per projection, with the gate applied once.
        segments = [(expert, count) for expert, count in enumerate(counts) if count]
        h = self._apply_gate(matmul_grouped(routed, self.gate_up_proj, segments))
        outputs = matmul_grouped(h, self.down_proj, segments)
    else:
        outputs = _expert_by_expert(self, routed, counts, prefill=prefill)
    # Back to (token, slot) order, then a weighted sum over each token's k experts. This
    # replaces `index_add_`, whose CPU kernel opens a thread-parallel region per call: a few
    # microseconds on an idle machine but milliseconds when the cores are shared, 60 times
    # per decode step.
    unsorted = torch.empty_like(outputs).index_copy_(0, order, outputs)
    weights = top_k_weights.to(hidden_states.dtype).unsqueeze(1)
    return torch.bmm(weights, unsorted.view(tokens, top_k, -1)).squeeze(1)


def _one_token(
    self: Any, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor
) -> torch.Tensor | None:
    """A batch-1 decode step: the token's experts as segments in slot order, skipping the sort,
    the counts and the scatter back (about 20 us a layer); None where the general path is needed.

    Each row's product is computed as in the general path, and the weighted sum is the same call
    over the same (slot-ordered) rows, so the result is identical to the bit."""
    experts = top_k_index[0].tolist()
    if (
        len(set(experts)) != len(experts)
        or not all(0 <= expert < self.num_experts for expert in experts)
        or not grouped_supported(hidden_states, self.gate_up_proj)
        or not grouped_supported(hidden_states, self.down_proj)
    ):
        return None
    self.experts_run = getattr(self, "experts_run", 0) + len(experts)
    self.forward_calls = getattr(self, "forward_calls", 0) + 1
    segments = [(expert, 1) for expert in experts]
    routed = hidden_states.expand(len(experts), -1)
    h = self._apply_gate(matmul_grouped(routed, self.gate_up_proj, segments))
    outputs = matmul_grouped(h, self.down_proj, segments)
    weights = top_k_weights.to(hidden_states.dtype).unsqueeze(1)
    return torch.bmm(weights, outputs.view(1, len(experts), -1)).squeeze(1)


def _expert_by_expert(
    self: Any, routed: torch.Tensor, counts: list[int], *, prefill: bool
) -> torch.Tensor:
    """Each expert's rows through torch's matmul; at prefill, the bf16 or int8 copies where the
    engine made them."""
    outputs = torch.empty_like(routed)
    prefill_gate_up = getattr(self, "prefill_gate_up_proj", None)
    prefill_down = getattr(self, "prefill_down_proj", None)
    start = 0
    for expert, count in enumerate(counts):
        end = start + count
        if count == 0:
            continue
        if expert >= self.num_experts:  # a padding index some routers emit: contributes nothing
            outputs[start:end] = 0
            start = end
            continue
        x, gate_up, down = routed[start:end], self.gate_up_proj[expert], self.down_proj[expert]
        if prefill and prefill_gate_up is not None and prefill_down is not None:
            h = self._apply_gate(prefill_linear(x, prefill_gate_up[expert]))
            outputs[start:end] = prefill_linear(h, prefill_down[expert])
        else:
            h = self._apply_gate(linear(x, gate_up))
            outputs[start:end] = linear(h, down)
        start = end
    return outputs


def experts_run(model: torch.nn.Module) -> tuple[int, int]:
    """(experts run, experts-module calls) summed over the sparse experts modules of `model`."""
    runs = calls = 0
    for module in model.modules():
        runs += getattr(module, "experts_run", 0)
        calls += getattr(module, "forward_calls", 0)
    return runs, calls


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


def use_weights_dtype(
    model: torch.nn.Module, *, decode_dtype: torch.dtype, prefill_dtype: torch.dtype | None
) -> None:
    """Give the sparse experts modules their decode weights and prefill copies.

    With a bf16 `decode_dtype` the expert weights become bf16 and serve a bf16 prefill too; a
    `prefill_dtype` other than the decode one adds copies in that dtype for prefill (int8 or
    bfloat16; float32 keeps the fp32 weights for it, which bf16 decode weights otherwise drop).
    """
    for module in model.modules():
        if not (hasattr(module, "gate_up_proj") and supports_sparse_topk(module)):
            continue
        if getattr(getattr(module, "config", None), "_experts_implementation", None) != (
            IMPLEMENTATION
        ):
            continue
        for name in ("gate_up_proj", "down_proj"):
            weight = getattr(module, name)
            if prefill_dtype is not None and prefill_dtype != decode_dtype:
                setattr(module, f"prefill_{name}", prefill_copy(weight, prefill_dtype))
            if decode_dtype != torch.float32:
                converted = torch.nn.Parameter(
                    weight.detach().to(decode_dtype).contiguous(), requires_grad=False
                )
                setattr(module, name, converted)
                if prefill_dtype == decode_dtype:
                    setattr(module, f"prefill_{name}", converted)


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
