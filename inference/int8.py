"""Prefill products with int8 weights and int8 activations (`--prefill-dtype int8`, opt-in).

Prefill multiplies hundreds of rows by every weight, so it is bound by arithmetic, not by memory.
Where the CPU has int8 dot products (VNNI) but no native bf16 (AVX512-BF16 or AMX), an int8
product (`torch._int_mm`) runs ~4x faster than an fp32 one, and a whole prefill ~1.6x faster
(figures in docs/BENCHMARKS.md, Inference).

Weights are quantised once, symmetrically, with one scale per output row; activations are
quantised per row (per token) at each product, so one token's outlier does not coarsen another's.
Sums are exact int32; the result is rescaled to fp32. Decode keeps its own weights (fp32 or bf16,
read by the decode kernel): only prompt prefill sees int8. It is not a default because it moves
logits ten times more than bf16 does and so changes greedy answers more often (the tolerance is
in docs/BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from inference import kernels

# Symmetric int8 uses -127..127, so negating a value never overflows.
LEVELS = 127.0


@dataclass(frozen=True)
class Int8Weights:
    """Weights of shape (..., N, K) as int8 with one fp32 scale per output row (..., N)."""

    values: torch.Tensor
    scales: torch.Tensor

    dtype = torch.int8

    @classmethod
    def quantize(cls, weight: torch.Tensor) -> Int8Weights:
        """Round each output row of `weight` (fp32 or bf16) to int8 steps of max|row| / 127."""
        w = weight.detach().float()
        scales = w.abs().amax(dim=-1).clamp_min(torch.finfo(torch.float32).tiny) / LEVELS
        values = torch.round(w / scales.unsqueeze(-1)).clamp_(-LEVELS, LEVELS).to(torch.int8)
        return cls(values=values.contiguous(), scales=scales.contiguous())

    def __getitem__(self, index: int) -> Int8Weights:
        """One expert's weights of a stacked (E, N, K) tensor."""
        return Int8Weights(values=self.values[index], scales=self.scales[index])

    @property
    def shape(self) -> torch.Size:
        return self.values.shape

    def nbytes(self) -> int:
        return self.values.numel() + 4 * self.scales.numel()


def int8_linear(x: torch.Tensor, weight: Int8Weights) -> torch.Tensor:
    """x @ W.T for fp32 x (..., K): rows quantised to int8 per row, int32 sums, fp32 result."""
    rows = x.reshape(-1, x.shape[-1]).float().contiguous()
    m, k = rows.shape
    n = weight.values.shape[0]
    # Quantising the rows and rescaling the int32 sums run in C (inference/kernels/int8.c) where
    # the kernels are built, else as the same steps in torch.
    library = kernels.library()
    if library is not None:
        quantised = torch.empty((m, k), dtype=torch.int8)
        scale = torch.empty(m, dtype=torch.float32)
        library.int8_quantize_rows(rows.data_ptr(), quantised.data_ptr(), scale.data_ptr(), m, k)
    else:
        top = rows.abs().amax(dim=1).clamp_min(1e-30)
        scale = top / LEVELS
        quantised = torch.round(rows * (LEVELS / top).unsqueeze(1)).to(torch.int8)
    # The weight's transpose as a view: oneDNN reads (N, K) row-major weights as K x N directly.
    sums = torch._int_mm(quantised, weight.values.T)
    if library is not None and sums.is_contiguous():
        out = torch.empty((m, n), dtype=torch.float32)
        library.int8_rescale(
            sums.data_ptr(), scale.data_ptr(), weight.scales.data_ptr(), out.data_ptr(), m, n
        )
    else:
        out = sums.to(torch.float32).mul_(scale.unsqueeze(1)).mul_(weight.scales)
    return out.reshape(*x.shape[:-1], n)


def prefill_linear(x: torch.Tensor, weight: torch.Tensor | Int8Weights) -> torch.Tensor:
    """x @ W.T with a prefill copy of the weights (bf16 or int8); fp32 result."""
    if isinstance(weight, Int8Weights):
        return int8_linear(x, weight)
    return torch.nn.functional.linear(x.to(weight.dtype), weight).float()


def prefill_copy(weight: torch.Tensor, dtype: torch.dtype) -> torch.Tensor | Int8Weights:
    """The prefill copy of `weight` in `dtype` (torch.bfloat16 or torch.int8)."""
    if dtype == torch.int8:
        return Int8Weights.quantize(weight)
    return weight.detach().to(dtype).contiguous()
