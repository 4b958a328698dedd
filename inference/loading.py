"""Loading a local causal-LM checkpoint (any transformers MoE architecture) for generation."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import torch

T = TypeVar("T")

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def resolve_dtype(name: str) -> torch.dtype:
    """Map a dtype name (`auto`, `float32`, `bfloat16`) to the dtype weights are kept in."""
    if name == "auto":
        # On CPU the model (and so its activations) stays fp32; bf16 weights for decode are a
        # separate choice (`resolve_decode_dtype`), read by the decode kernel with fp32 sums.
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r}; choose auto, float32 or bfloat16") from None


def native_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AVX512-BF16 or AMX); elsewhere oneDNN
    emulates bf16 products, ~3x slower than fp32."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


PREFILL_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "int8": torch.int8}


def resolve_prefill_dtype(name: str, weights: torch.dtype) -> torch.dtype | None:
    """The dtype of the prefill products for `name` (`auto`, `float32`, `bfloat16`, `int8`), or
    None where prefill uses the weights as they are.

    Prefill is compute-bound. `auto` picks bfloat16 for fp32 weights on a CPU with native bf16
    products (~2x faster TTFT, within the tolerance in docs/BENCHMARKS.md) and fp32 elsewhere:
    emulated bf16 runs ~3x slower than fp32. `int8` (int8 weights with a scale per row,
    activations quantised per token; ~1.6x faster than fp32 where the CPU has VNNI) is only
    taken when asked for: it changes greedy answers far more often than bf16 (docs/BENCHMARKS.md).
    On a GPU, or for weights not in fp32, there is no copy.
    """
    if name not in ("auto", *PREFILL_DTYPES):
        raise ValueError(f"unknown prefill dtype {name!r}; choose auto, float32, bfloat16 or int8")
    if weights != torch.float32 or torch.cuda.is_available():
        return None
    if name == "auto":
        return torch.bfloat16 if native_bf16() else torch.float32
    return PREFILL_DTYPES[name]


def resolve_decode_dtype(name: str, weights: torch.dtype, *, kernel: bool) -> torch.dtype:
    """The dtype decode reads the weights in for `name` (`auto`, `float32`, `bfloat16`).

    bfloat16 halves the bytes a decode step reads; the decode kernel widens them to fp32 in
    registers, so activations and sums stay fp32 (the tolerance is in docs/BENCHMARKS.md).
    `auto` picks it when that kernel is available (`kernel`): torch's own bf16 products with
    one row are no faster than fp32 on the target CPU. It applies to fp32 weights only: a model
    loaded in another dtype decodes in that dtype.
    """
    if name not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"unknown decode dtype {name!r}; choose auto, float32 or bfloat16")
    if weights != torch.float32:
        return weights
    if name == "auto":
        return torch.bfloat16 if kernel else torch.float32
    return DTYPES[name]


def tune_allocator() -> None:
    """Keep freed memory in glibc's heap instead of returning it to the kernel after each step."""
    # Each decode step allocates and frees multi-megabyte activations; with glibc's default
    # thresholds each one is a fresh mmap whose pages fault in again, costing milliseconds.
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, (1 << 31) - 1)


def in_passing_thread(function: Callable[[], T]) -> T:
    """Run `function` in a thread of its own that ends when it returns; return its result.

    Each thread that runs a parallel torch op keeps an OpenMP (libgomp) pool of its own, and once
    a process holds more pool threads than cores libgomp cuts its spin-wait between parallel
    regions from ~300,000 iterations to 100, so every region of a prefill pays a futex wake-up.
    Work done here (loading, the bench's bandwidth copy) frees its pool when the thread ends, and
    the engine's scheduler thread keeps the only one: on two cores a 1,000-token prefill takes
    1.1 s instead of 1.4 s (docs/BENCHMARKS.md).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference-setup") as pool:
        return pool.submit(function).result()


def load_model(path: str | Path, *, dtype: torch.dtype = torch.float32) -> tuple[Any, Any]:
    """Load model and tokenizer from a local directory, never from the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no model checkpoint at {path} (config.json is missing)")
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        str(path), dtype=dtype, attn_implementation="sdpa", local_files_only=True
    )
    model.eval()
    model.requires_grad_(False)
    return model, tokenizer


def context_length(config: Any) -> int:
    """The longest sequence the model was built for."""
    for name in ("max_position_embeddings", "max_sequence_length", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every token id that ends a reply for this model."""
    ids: set[int] = set()
    for source in (model.generation_config.eos_token_id, tokenizer.eos_token_id):
        if isinstance(source, int):
            ids.add(source)
        elif isinstance(source, list):
            ids.update(i for i in source if isinstance(i, int))
    return ids


def weight_bytes_per_token(model: Any) -> int:
    """Bytes of weights a decode step reads for one token: all dense weights plus top-k experts."""
    total = 0
    seen: set[int] = set()
    embedding = model.get_input_embeddings().weight
    lm_head = model.get_output_embeddings()
    tied = lm_head is not None and lm_head.weight.data_ptr() == embedding.data_ptr()
    for module in model.modules():
        top_k = _top_k_of(module)
        for name, param in module.named_parameters(recurse=False):
            if param.data_ptr() in seen:
                continue
            seen.add(param.data_ptr())
            size = param.numel() * param.element_size()
            if param is embedding and not tied:
                size = param.shape[-1] * param.element_size()  # one row is looked up
            elif top_k is not None and name in ("gate_up_proj", "down_proj", "up_proj"):
                size = size * top_k // param.shape[0]
            total += size
    return total


def _top_k_of(module: Any) -> int | None:
    if not hasattr(module, "gate_up_proj") and not hasattr(module, "down_proj"):
        return None
    config = getattr(module, "config", None)
    if config is None or getattr(module, "num_experts", None) is None:
        return None
    for name in ("num_experts_per_tok", "moe_topk", "top_k"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    return None


def use_fused_rms_norm(model: Any) -> int:
    """Give RMSNorm modules torch's one-call `rms_norm` where it gives their own forward's numbers
    to the bit (checked on a random input for each module); returns how many were switched.

    The modules' own forward is five small ops (~10 us a call on one core, 61 calls in a decode
    step of the demo model); the fused call is ~7 us."""
    switched = 0
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        weight = getattr(module, "weight", None)
        eps = getattr(module, "variance_epsilon", None)
        if (
            not type(module).__name__.endswith("RMSNorm")
            or not isinstance(weight, torch.Tensor)
            or weight.dim() != 1
            or not isinstance(eps, float)
        ):
            continue

        def fused(x: torch.Tensor, module: Any = module, eps: float = eps) -> torch.Tensor:
            return torch.nn.functional.rms_norm(x, (x.shape[-1],), module.weight, eps)

        probe = torch.randn(3, weight.shape[0], generator=generator).to(weight.dtype)
        with torch.no_grad():
            if not torch.equal(module(probe), fused(probe)):
                continue
        module.forward = fused
        switched += 1
    return switched
