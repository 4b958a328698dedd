"""Matrix products of the engine: a decode kernel for fp32 or bf16 weights (compiled on first use)
and bf16 prefill."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from inference.int8 import prefill_copy, prefill_linear
from inference.kernels import kernel_tuning, load

# Rows of x up to which the kernel is used (decode: one row per running sequence). Above it,
# prefill products go to MKL / oneDNN.
MAX_ROWS = 8
# The kernel's accumulators hold up to 8 rows, one pass over the weights for a whole decode
# batch: 7-8 rows took 20-25% less time than two passes of 4 over each block of weights from L2
# (the dot-product loop replaced an older one that slowed 3x past 6 rows). Each row's sums are
# formed in the same order whatever the row count, so a batch changes no row's result.
# Forwards with more rows than a decode batch are prefill. They may use bf16 copies of the
# weights: oneDNN's bf16 GEMM uses the CPU's AVX512-BF16 instructions and runs 2-4x faster than
# fp32 here from 4 rows up (an expert's 3072x576 product: 154 us at 8 rows, against 433 us in
# the fp32 kernel and 595 us in MKL), so even a short prompt's prefill gains, while decode
# (a few rows, memory-bound) stays fp32 and batch-invariant.
PREFILL_MIN_ROWS = MAX_ROWS + 1

# Threads a decode product may use (the engine sets it to its cores; see set_threads).
_threads = 1


def set_threads(count: int) -> None:
    """Let decode products use up to `count` threads (helpers join only when their core is free)."""
    global _threads
    _threads = max(1, int(count))


@functools.cache
def _library() -> ctypes.CDLL | None:
    """The compiled kernel library (its C in inference/kernels/, built for this CPU's
    `kernel_tuning`), or None when no C compiler is available or it fails."""
    return load(kernel_tuning())


def available() -> bool:
    """True when the compiled kernel can be used in this process."""
    return _library() is not None


# Seconds the kernel's products took, by kind, while `timed_products` is open (the benchmark's
# decode step breakdown); None otherwise, so a decode step pays one comparison per product.
_product_seconds: dict[str, float] | None = None
PRODUCT_KINDS = ("experts", "projections", "attention")


@contextlib.contextmanager
def timed_products() -> Iterator[dict[str, float]]:
    """Within the block, add up the seconds spent in the kernel's products by kind: "experts"
    (grouped products), "projections" (single-weight products: attention projections, the LM
    head) and "attention" (decode attention's two products)."""
    global _product_seconds
    _product_seconds = dict.fromkeys(PRODUCT_KINDS, 0.0)
    try:
        yield _product_seconds
    finally:
        _product_seconds = None


def _call(kind: str, function: Callable[..., Any], *args: Any) -> None:
    seconds = _product_seconds
    if seconds is None:
        function(*args)
        return
    start = time.perf_counter()
    function(*args)
    seconds[kind] += time.perf_counter() - start


# Weight dtypes the kernel reads; its inputs, sums and outputs are always fp32.
KERNEL_DTYPES = (torch.float32, torch.bfloat16)


def linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """torch's x @ weight.T, in the weight's dtype when it differs from x's (result in x's)."""
    if weight.dtype == x.dtype:
        return torch.nn.functional.linear(x, weight)
    return torch.nn.functional.linear(x.to(weight.dtype), weight).to(x.dtype)


def matmul_rows(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x @ weight.T (F.linear without bias) for a few fp32 rows of x and a contiguous (N, K)
    weight in fp32 or bf16."""
    library = _library()
    rows = x.numel() // x.shape[-1] if x.numel() else 0
    if (
        library is None
        or rows == 0
        or rows > MAX_ROWS
        or x.dtype != torch.float32
        or weight.dtype not in KERNEL_DTYPES
        or not weight.is_contiguous()
        or x.device.type != "cpu"
    ):
        return linear(x, weight)
    n, k = weight.shape
    x = x.contiguous()
    out = torch.empty(*x.shape[:-1], n, dtype=torch.float32)
    bf16 = int(weight.dtype == torch.bfloat16)
    _call(
        "projections", library.gemv_nk,
        x.data_ptr(), weight.data_ptr(), out.data_ptr(), rows, k, n, bf16, _threads,
    )  # fmt: skip
    return out


def grouped_supported(x: torch.Tensor, weights: torch.Tensor) -> bool:
    """True when `matmul_grouped` runs these operands in the kernel."""
    return (
        _library() is not None
        and x.dtype == torch.float32
        and weights.dtype in KERNEL_DTYPES
        and weights.dim() == 3
        and weights.is_contiguous()
        and x.device.type == weights.device.type == "cpu"
    )


@functools.lru_cache(maxsize=4096)
def _segment_table(table: tuple[int, ...]) -> torch.Tensor:
    """The kernel's segment table as a tensor, kept for the next step with the same routing."""
    return torch.tensor(table, dtype=torch.long)


def matmul_grouped(
    x: torch.Tensor, weights: torch.Tensor, segments: list[tuple[int, int]]
) -> torch.Tensor:
    """Stacked products in one call: x's rows, taken in order, come in segments (index, rows),
    and each segment's rows are multiplied by weights[index].T (weights: (E, N, K), fp32 or bf16).

    The experts of a mixture-of-experts layer at decode: one call shares all of the layer's
    expert products among the kernel's threads, instead of one call (and one hand-off) each.
    Segments may have any number of rows; the kernel is meant for a few each.
    """
    experts, n, k = weights.shape
    x = x.reshape(-1, k)
    if not grouped_supported(x, weights):
        parts, first = [], 0
        for index, rows in segments:
            parts.append(linear(x[first : first + rows], weights[index]))
            first += rows
        return torch.cat(parts) if parts else x.new_empty(0, n)
    table: list[int] = []
    first = 0
    for index, rows in segments:
        if not 0 <= index < experts:
            raise IndexError(f"weight index {index} outside the stack of {experts}")
        table += (index, first, rows)
        first += rows
    if first != x.shape[0]:
        raise ValueError(f"segments cover {first} rows but x has {x.shape[0]}")
    x = x.contiguous()
    out = torch.empty(first, n, dtype=torch.float32)
    if segments:
        spec = _segment_table(tuple(table))
        library = _library()
        assert library is not None
        _call(
            "experts", library.gemv_grouped,
            x.data_ptr(), weights.data_ptr(), out.data_ptr(), spec.data_ptr(),
            len(segments), k, n, n * k, int(weights.dtype == torch.bfloat16), _threads,
        )  # fmt: skip
    return out


def decode_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
) -> torch.Tensor | None:
    """Attention for one query token per row through the kernel, or None where it does not apply.

    query (B, kv_heads, G, D) fp32; key and value (B, kv_heads, L, D), fp32 or bf16, views of a
    cache whose rows are D elements apart and whose heads are evenly spaced (as the engine's slot
    cache is); mask (B, L) bool or None. One call does scores, softmax and the weighted sum of
    values for every (row, key/value head), reading each key and value once for all G query heads
    of its group. Against torch's matmuls over the same views (which first widen a bf16 cache) it
    took 11.5 instead of 23.7 us at 1 row x 40 positions, 19 instead of 35 at 1 x 170, and 381
    instead of 669 (the earlier three-call kernel path) at 8 x 1,000. Returns (B, kv_heads, G, D).
    """
    library = _library()
    batch, kv_heads, groups, dim = query.shape
    length = key.shape[2]
    if (
        library is None
        or query.dtype != torch.float32
        or key.dtype not in KERNEL_DTYPES
        or value.dtype != key.dtype
        or dim % 16
        or dim > 256
        or groups > 8
        or key.stride()[1:] != value.stride()[1:]
        or key.stride(0) != value.stride(0)
        or key.stride(3) != 1
        or key.stride(2) != dim
        or key.stride(0) != kv_heads * key.stride(1)
        or (mask is not None and (mask.dtype != torch.bool or mask.shape != (batch, length)))
    ):
        return None
    heads = batch * kv_heads
    bf16 = int(key.dtype == torch.bfloat16)
    q = query.contiguous()
    out = torch.empty(batch, kv_heads, groups, dim, dtype=torch.float32)
    padded = (length + 15) // 16 * 16
    scratch = torch.empty(heads * groups * padded, dtype=torch.float32)
    keep = mask.contiguous() if mask is not None else None
    _call(
        "attention", library.attend_decode,
        q.data_ptr(), key.data_ptr(), value.data_ptr(), scratch.data_ptr(),
        keep.data_ptr() if keep is not None else None, out.data_ptr(),
        heads, kv_heads, groups, length, dim, key.stride(1), scale, bf16, _threads,
    )  # fmt: skip
    return out


def fast_linear_forward(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """nn.Linear.forward through the decode kernel for a few rows (bf16 or int8 copy for prefill)."""
    prefill_weight = getattr(self, "prefill_weight", None)
    if prefill_weight is not None and x.numel() >= PREFILL_MIN_ROWS * x.shape[-1]:
        out = prefill_linear(x, prefill_weight)
    else:
        out = matmul_rows(x, self.weight)
    if self.bias is not None:
        out = out + self.bias
    return out


# Linear layers with fewer output rows than this keep fp32 weights when decode uses bf16, and get
# no low-precision copy for prefill: the routers and gates of MoE blocks, whose bytes are
# negligible and whose choices stay exact.
BF16_MIN_ROWS = 64


def use_fast_linear(
    model: torch.nn.Module,
    *,
    prefill_dtype: torch.dtype | None = None,
    decode_dtype: torch.dtype = torch.float32,
) -> int:
    """Route every fp32 nn.Linear of `model` with a contiguous weight through the decode kernel.

    With a `prefill_dtype` other than `decode_dtype`, also keep a copy of each weight in that
    dtype for prefill products (bfloat16 or int8; float32 keeps the fp32 weights themselves), but
    not of the routers, whose expert choices stay exact. With `decode_dtype` bfloat16, the
    weights themselves become bf16 and serve a bf16 prefill as well; activations stay fp32. Expert weights are handled by
    `inference.experts.use_weights_dtype`. Returns how many Linear modules moved.
    """
    switched = 0
    for module in model.modules():
        if (
            isinstance(module, torch.nn.Linear)
            and module.weight.dtype == torch.float32
            and module.weight.is_contiguous()
        ):
            module.forward = fast_linear_forward.__get__(module)  # type: ignore[method-assign]
            rows = module.weight.shape[0]
            # Copies for prefill: not the LM head (prefill only computes logits for the last
            # token), nor the routers.
            if prefill_dtype not in (None, decode_dtype) and BF16_MIN_ROWS <= rows < 8192:
                module.prefill_weight = prefill_copy(  # type: ignore[assignment]
                    module.weight, prefill_dtype
                )
            if decode_dtype != torch.float32 and rows >= BF16_MIN_ROWS:
                module.weight = torch.nn.Parameter(
                    module.weight.detach().to(decode_dtype).contiguous(), requires_grad=False
                )
                if prefill_dtype == decode_dtype:
                    module.prefill_weight = module.weight
            switched += 1
    return switched
