"""A decode step without transformers' module stack: the same weights and kernels, fewer calls.

A decode step of the demo model is ~250 products but also ~400 module calls and ~2,000 small
tensor ops in transformers' forward (decoder layers, attention and MoE modules, argument
plumbing, rotary slicing, per-layer cache bookkeeping). On one core that Python and dispatch
work took as long as reading the weights. This module runs one decode step for the decoder
families the engine supports from a plan made once at load time: per layer one fused q/k/v
product, the decode attention kernel, the output product, the router and the grouped expert
products. Prefill still goes through transformers' forward, and this step reads and writes the
same slot cache, so the two interleave freely. Architectures outside the plan return None from
`LeanDecoder.build` and keep transformers' forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from inference import gemv
from inference.attention import attend_with_torch
from inference.experts import IMPLEMENTATION as SPARSE_EXPERTS
from inference.experts import sparse_topk_experts_forward, supports_sparse_topk
from inference.kvcache import SlotKVCache

# Decoder families whose layer is: norm, attention (q/k/v/o projections, optional q/k norms,
# rotary embeddings), residual, norm, a mixture-of-experts block, residual. Each was checked
# against transformers' forward (tests/inference/test_lean_decode_matches_transformers.py).
FAMILIES = ("mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "granitemoe")
# The fused kernels' limits: a rotated key is staged in 512 floats, and the expert kernel groups
# at most 64 (row, expert) pairs (8 rows of top-8).
MAX_HEAD_DIM = 512
FUSED_MAX_PAIRS = 64


@dataclass
class _Layer:
    input_norm: Any
    post_norm: Any
    # q, k and v weights stacked (one product instead of three), or the three where their
    # dtypes differ (small k/v projections keep fp32 beside bf16 ones: gemv.BF16_MIN_ROWS)
    qkv: list[torch.Tensor]
    qkv_bias: torch.Tensor | None
    q_size: int
    kv_size: int
    q_norm: Any
    k_norm: Any
    norm_per_head: bool  # q/k norms over each head (Qwen3) or the whole projection (OLMoE)
    o_proj: Any
    scaling: float
    moe: Any  # the block after the attention: router + experts, or any module
    router: Any  # the block's router when its experts take the sparse forward, else None
    fused_experts: bool  # the experts fit the fused kernel (SiLU-gated, kernel dtypes)


class LeanDecoder:
    """Runs decode steps of a supported model straight from its weights."""

    def __init__(self, model: Any, layers: list[_Layer]) -> None:
        config = model.config
        self.layers = layers
        self.embed = model.model.embed_tokens
        self.norm = model.model.norm
        self.rotary = model.model.rotary_emb
        self.lm_head = model.lm_head
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = layers[0].q_size // self.heads
        self.clip_qkv = getattr(config, "clip_qkv", None)
        self.embedding_multiplier = getattr(model.model, "embedding_multiplier", None)
        self.residual_multiplier = getattr(config, "residual_multiplier", None)
        self.logits_scaling = getattr(config, "logits_scaling", None)

    @classmethod
    def build(cls, model: Any) -> LeanDecoder | None:
        """A decoder for `model`, or None when its architecture is not one this module knows."""
        config = model.config
        if (
            config.model_type not in FAMILIES
            or not hasattr(model, "lm_head")
            or not gemv.available()
        ):
            return None
        base = getattr(model, "model", None)
        if base is None or not all(
            hasattr(base, name) for name in ("embed_tokens", "layers", "norm", "rotary_emb")
        ):
            return None
        layers = []
        for layer in base.layers:
            attention = layer.self_attn
            projections = [attention.q_proj, attention.k_proj, attention.v_proj]
            weights = [p.weight for p in projections]
            if any(w.dim() != 2 for w in weights):
                return None
            same = all(w.dtype == weights[0].dtype for w in weights)
            biases = [p.bias for p in projections]
            if any(b is None for b in biases) != all(b is None for b in biases):
                return None
            q_norm = getattr(attention, "q_norm", None)
            moe = getattr(layer, "mlp", None)
            if moe is None:
                moe = getattr(layer, "block_sparse_moe", None)
            if moe is None or not (
                _is_rms_norm(layer.input_layernorm) and _is_rms_norm(layer.post_attention_layernorm)
            ):
                return None
            if attention.head_dim > MAX_HEAD_DIM:
                return None
            router = getattr(moe, "gate", None)
            if router is None:
                router = getattr(moe, "router", None)  # granite-MoE's name for it
            experts = getattr(moe, "experts", None)
            sparse = (
                router is not None
                and experts is not None
                and getattr(getattr(experts, "config", None), "_experts_implementation", None)
                == SPARSE_EXPERTS
            )
            layers.append(
                _Layer(
                    input_norm=layer.input_layernorm,
                    post_norm=layer.post_attention_layernorm,
                    qkv=[_stack_in_place(projections)] if same else weights,
                    qkv_bias=None if biases[0] is None else torch.cat(biases),
                    q_size=weights[0].shape[0],
                    kv_size=weights[1].shape[0],
                    q_norm=q_norm,
                    k_norm=getattr(attention, "k_norm", None),
                    norm_per_head=q_norm is not None
                    and q_norm.weight.shape[0] == attention.head_dim,
                    o_proj=attention.o_proj,
                    scaling=float(attention.scaling),
                    moe=moe,
                    router=router if sparse else None,
                    fused_experts=sparse and _fits_fused_experts(experts),
                )
            )
        if not _is_rms_norm(base.norm):
            return None
        return cls(model, layers)

    def __call__(
        self, input_ids: list[int], positions: list[int], cache: SlotKVCache
    ) -> torch.Tensor:
        """Logits (rows, vocab) for one new token per row; row i is slot i of `cache`, whose
        token goes in at positions[i]. The cache must have been prepared for this step."""
        library = gemv._library()
        assert library is not None  # build() checked
        rows = len(input_ids)
        where = torch.tensor(positions)
        x = self.embed(torch.tensor(input_ids))
        if self.embedding_multiplier is not None:
            x = x * self.embedding_multiplier
        x = x.contiguous()
        cos, sin = self.rotary(x, where.unsqueeze(1))  # (rows, 1, head_dim): shared by layers
        cos, sin = cos.float().contiguous(), sin.float().contiguous()
        length = max(positions) + 1
        # Row i sees its own first positions[i] + 1 keys; one row sees the whole view.
        mask = None if rows == 1 else torch.arange(length).unsqueeze(0) <= where.unsqueeze(1)
        heads, kv_heads, dim = self.heads, self.kv_heads, self.head_dim
        q = torch.empty(rows, kv_heads, heads // kv_heads, dim)
        h = torch.empty_like(x)
        scale = self.residual_multiplier or 1.0
        added: torch.Tensor | None = None  # the last block's output, not yet in x
        for index, layer in enumerate(self.layers):
            _add_norm(library, x, added, scale, layer.input_norm, h)
            qkv = (
                gemv.matmul_rows(h, layer.qkv[0])
                if len(layer.qkv) == 1
                else torch.cat([gemv.matmul_rows(h, w) for w in layer.qkv], dim=-1)
            )
            if layer.qkv_bias is not None:
                qkv = qkv + layer.qkv_bias
            if layer.q_norm is not None or self.clip_qkv is not None:
                qkv = self._shape_qk(layer, qkv)
            keys, values = cache.keys[index], cache.values[index]
            library.rope_store(
                qkv.data_ptr(), qkv.stride(0), rows, heads, kv_heads, dim,
                cos.data_ptr(), sin.data_ptr(), q.data_ptr(), keys.data_ptr(),
                values.data_ptr(), keys.stride(0), keys.stride(1), where.data_ptr(),
                int(keys.dtype == torch.bfloat16),
            )  # fmt: skip
            out = gemv.decode_attention(
                q, keys[:rows, :, :length], values[:rows, :, :length], mask, layer.scaling
            )
            if out is None:
                out = attend_with_torch(
                    q, keys[:rows, :, :length], values[:rows, :, :length], mask, layer.scaling
                )
            attended = layer.o_proj(out.reshape(rows, heads * dim))
            _add_norm(library, x, attended, scale, layer.post_norm, h)
            added = _moe(library, layer, h)
        _add_norm(library, x, added, scale, self.norm, h)
        logits = self.lm_head(h)
        if self.logits_scaling is not None:
            logits = logits / self.logits_scaling
        return logits.float()

    def _shape_qk(self, layer: _Layer, qkv: torch.Tensor) -> torch.Tensor:
        """q and k after the layer's clipping and q/k norms, back in one (rows, q+k+v) buffer."""
        rows = qkv.shape[0]
        q, k, v = qkv.split([layer.q_size, layer.kv_size, layer.kv_size], dim=-1)
        if self.clip_qkv is not None:
            q, k, v = (t.clamp(-self.clip_qkv, self.clip_qkv) for t in (q, k, v))
        if layer.q_norm is not None:
            if layer.norm_per_head:
                q = layer.q_norm(q.reshape(rows, self.heads, self.head_dim))
                k = layer.k_norm(k.reshape(rows, self.kv_heads, self.head_dim))
            else:
                q, k = layer.q_norm(q), layer.k_norm(k)
        return torch.cat([q.reshape(rows, -1), k.reshape(rows, -1), v], dim=-1)


def _add_norm(
    library: Any,
    x: torch.Tensor,
    added: torch.Tensor | None,
    scale: float,
    norm: Any,
    out: torch.Tensor,
) -> None:
    """x += scale * added (the residual), then out = norm(x), in one kernel call."""
    if added is not None:
        added = added.contiguous()
    library.add_rms_norm(
        x.data_ptr(), None if added is None else added.data_ptr(), scale,
        norm.weight.data_ptr(), out.data_ptr(), x.shape[0], x.shape[1], norm.variance_epsilon,
    )  # fmt: skip


def _is_rms_norm(module: Any) -> bool:
    """True when `module` computes x / sqrt(mean(x^2) + eps) * weight, as the fused kernel does
    (checked on a random input, within float rounding)."""
    weight = getattr(module, "weight", None)
    eps = getattr(module, "variance_epsilon", None)
    if not (
        isinstance(weight, torch.Tensor)
        and weight.dim() == 1
        and weight.dtype == torch.float32
        and weight.is_contiguous()
        and isinstance(eps, float)
    ):
        return False
    probe = torch.randn(3, weight.shape[0], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = probe * torch.rsqrt(probe.pow(2).mean(-1, keepdim=True) + eps) * weight
        return torch.allclose(module(probe), expected, rtol=1e-5, atol=1e-6)


def _fits_fused_experts(experts: Any) -> bool:
    """True when the experts are SiLU-gated stacks the fused expert kernel reads directly."""
    from transformers.integrations.moe import _default_apply_gate

    gate_up, down = experts.gate_up_proj, experts.down_proj
    if not (
        supports_sparse_topk(experts)
        and getattr(type(experts), "_apply_gate", None) is _default_apply_gate
        and gate_up.dtype in gemv.KERNEL_DTYPES
        and gate_up.dtype == down.dtype
        and gate_up.is_contiguous()
        and down.is_contiguous()
        and gate_up.shape[1] == 2 * down.shape[2]
    ):
        return False
    probe = torch.linspace(-8, 8, 33)
    with torch.no_grad():
        return torch.allclose(experts.act_fn(probe), F.silu(probe), rtol=1e-5, atol=1e-6)


def _stack_in_place(projections: list[torch.nn.Linear]) -> torch.Tensor:
    """One (Nq + Nk + Nv, K) weight; the three modules then hold row views of it (no second
    copy), so prefill's products read the same memory."""
    stacked = torch.cat([p.weight.detach() for p in projections]).contiguous()
    start = 0
    for p in projections:
        end = start + p.weight.shape[0]
        prefill = getattr(p, "prefill_weight", None)
        shares = prefill is p.weight
        p.weight = torch.nn.Parameter(stacked[start:end], requires_grad=False)
        if shares:
            p.prefill_weight = p.weight
        start = end
    return stacked


def _moe(library: Any, layer: _Layer, h: torch.Tensor) -> torch.Tensor:
    """The block after attention for (rows, hidden) input, as its own forward computes it."""
    block = layer.moe
    if layer.router is None:
        return block(h.unsqueeze(1)).squeeze(1)
    _, weights, index = layer.router(h)
    experts = block.experts
    if layer.fused_experts and index.shape[0] * index.shape[1] <= FUSED_MAX_PAIRS:
        index = index.contiguous()
        weights = weights.float().contiguous()
        rows, top_k = index.shape
        pairs, k, i = rows * top_k, h.shape[1], experts.down_proj.shape[2]
        scratch = torch.empty(pairs * (2 * k + 3 * i))
        out = torch.empty_like(h)
        gemv._call(
            "experts", library.moe_decode,
            h.data_ptr(), rows, top_k, index.data_ptr(), weights.data_ptr(), experts.num_experts,
            k, i, experts.gate_up_proj.data_ptr(), experts.down_proj.data_ptr(),
            int(experts.down_proj.dtype == torch.bfloat16), scratch.data_ptr(), out.data_ptr(),
            gemv._threads,
        )  # fmt: skip
        experts.experts_run = getattr(experts, "experts_run", 0) + len(set(index.view(-1).tolist()))
        experts.forward_calls = getattr(experts, "forward_calls", 0) + 1
    else:
        out = sparse_topk_experts_forward(experts, h, index, weights)
    shared = getattr(block, "shared_expert", None)
    if shared is not None:
        shared_out = shared(h)
        shared_gate = getattr(block, "shared_expert_gate", None)
        if shared_gate is not None:
            shared_out = F.sigmoid(shared_gate(h)) * shared_out
        out = out + shared_out
    return out
