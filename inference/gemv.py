"""Matrix products of the engine: an fp32 decode kernel (compiled on first use) and bf16 prefill."""

from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch

log = logging.getLogger(__name__)

# Rows of x up to which the kernel is used (decode: one row per running sequence). Above it,
# prefill products go to MKL / oneDNN.
MAX_ROWS = 8
# Rows the kernel's accumulators hold at once: past 6 the compiled loop slowed down 3x on the
# target CPU (an M=8 product of the LM head took 13.4 ms, two M=4 passes 7.1 ms), so more rows
# are done in chunks of 4, each chunk streaming the weight once.
KERNEL_ROWS = 6
CHUNK_ROWS = 4
# Products with at least this many rows (prefill chunks) may use bf16 copies of the weights:
# oneDNN's bf16 GEMM uses the CPU's AVX512-BF16 instructions and runs ~4x faster than MKL's fp32
# GEMM here, while decode (a few rows, memory-bound) stays fp32, where it is faster.
PREFILL_MIN_ROWS = 32
# y[M,N] = x[M,K] @ W[N,K]^T with W in nn.Linear's own (output-major) layout. Each weight row is
# read once, front to back, and dotted with every input row (held in L1), with 16-lane partial
# sums per row in registers (GCC/Clang vector types: AVX-512 where the CPU has it, narrower
# vectors otherwise). On the 2-core EPYC this ships on, one core streams weights at 33-41 GB/s
# for 1-4 rows (MKL: 10-27 GB/s); an earlier input-major loop fell to 7-15 GB/s at 8 rows because
# it re-read its output rows once per weight row.
SOURCE = r"""
#include <stddef.h>
typedef float v16 __attribute__((vector_size(64)));

static inline v16 load16(const float* p) { v16 v; __builtin_memcpy(&v, p, sizeof v); return v; }

static inline float sum16(v16 v) {
    float s = 0.f;
    for (int i = 0; i < 16; i++) s += v[i];
    return s;
}

#define DEFINE_ROWS(R)                                                                         \
static void rows_##R(const float* restrict x, const float* restrict w, float* restrict y,     \
                     long K, long N) {                                                         \
    for (long n = 0; n < N; n++) {                                                             \
        const float* restrict wr = w + n * K;                                                  \
        v16 acc[R];                                                                            \
        for (int m = 0; m < R; m++) acc[m] = (v16){0};                                         \
        long k = 0;                                                                            \
        for (; k + 16 <= K; k += 16) {                                                         \
            const v16 wv = load16(wr + k);                                                     \
            for (int m = 0; m < R; m++) acc[m] += wv * load16(x + m * K + k);                  \
        }                                                                                      \
        for (int m = 0; m < R; m++) {                                                          \
            float s = sum16(acc[m]);                                                           \
            for (long j = k; j < K; j++) s += wr[j] * x[m * K + j];                            \
            y[m * N + n] = s;                                                                  \
        }                                                                                      \
    }                                                                                          \
}
DEFINE_ROWS(1) DEFINE_ROWS(2) DEFINE_ROWS(3) DEFINE_ROWS(4) DEFINE_ROWS(5) DEFINE_ROWS(6)

void gemv_nk(const float* restrict x, const float* restrict w, float* restrict y,
             long M, long K, long N) {
    switch (M) {
    case 1: rows_1(x, w, y, K, N); break;
    case 2: rows_2(x, w, y, K, N); break;
    case 3: rows_3(x, w, y, K, N); break;
    case 4: rows_4(x, w, y, K, N); break;
    case 5: rows_5(x, w, y, K, N); break;
    case 6: rows_6(x, w, y, K, N); break;
    }
}
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "inference-kernels"


@functools.cache
def _kernel() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """The compiled kernel, or None when no C compiler is available or it fails."""
    if os.environ.get("INFERENCE_GEMV", "1") == "0":
        return None
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        log.info("no C compiler found; decode uses torch's matmul")
        return None
    flags = ["-O3", "-march=native", "-shared", "-fPIC"]
    digest = hashlib.sha256((SOURCE + " ".join(flags)).encode()).hexdigest()[:16]
    library = _cache_dir() / f"gemv-{digest}.so"
    try:
        if not library.exists():
            library.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=library.parent) as tmp:
                source = Path(tmp) / "gemv.c"
                source.write_text(SOURCE)
                built = Path(tmp) / "gemv.so"
                subprocess.run(
                    [compiler, *flags, str(source), "-o", str(built)],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
                os.replace(built, library)  # atomic, so concurrent processes never see half
        function = ctypes.CDLL(str(library)).gemv_nk  # CDLL releases the GIL during calls
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not build the decode kernel (%s); using torch's matmul", exc)
        return None
    function.restype = None
    function.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_long] * 3
    return function


def available() -> bool:
    """True when the compiled kernel can be used in this process."""
    return _kernel() is not None


def matmul_rows(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """x @ weight.T (F.linear without bias) for a contiguous fp32 weight (N, K) and a few rows of x."""
    kernel = _kernel()
    rows = x.numel() // x.shape[-1] if x.numel() else 0
    if (
        kernel is None
        or rows == 0
        or rows > MAX_ROWS
        or x.dtype != torch.float32
        or weight.dtype != torch.float32
        or not weight.is_contiguous()
        or x.device.type != "cpu"
    ):
        return torch.nn.functional.linear(x, weight)
    n, k = weight.shape
    x = x.contiguous()
    out = torch.empty(*x.shape[:-1], n, dtype=torch.float32)
    step = rows if rows <= KERNEL_ROWS else CHUNK_ROWS
    for first in range(0, rows, step):
        count = min(step, rows - first)
        kernel(
            x.data_ptr() + first * k * 4, weight.data_ptr(), out.data_ptr() + first * n * 4,
            count, k, n,
        )  # fmt: skip
    return out


def fast_linear_forward(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """nn.Linear.forward through the decode kernel for a few rows (bf16 copy for prefill)."""
    prefill_weight = getattr(self, "prefill_weight", None)
    if prefill_weight is not None and x.numel() >= PREFILL_MIN_ROWS * x.shape[-1]:
        out = torch.nn.functional.linear(x.to(prefill_weight.dtype), prefill_weight).float()
    else:
        out = matmul_rows(x, self.weight)
    if self.bias is not None:
        out = out + self.bias
    return out


def use_fast_linear(model: torch.nn.Module, *, prefill_dtype: torch.dtype | None = None) -> int:
    """Route every fp32 nn.Linear of `model` with a contiguous weight through the decode kernel.

    With `prefill_dtype` (bfloat16), also keep a row-major copy of each weight in that dtype for
    prefill products, and the same for expert weights. Returns how many Linear modules moved.
    """
    switched = 0
    for module in model.modules():
        if (
            isinstance(module, torch.nn.Linear)
            and module.weight.dtype == torch.float32
            and module.weight.is_contiguous()
        ):
            module.forward = fast_linear_forward.__get__(module)  # type: ignore[method-assign]
            if prefill_dtype is not None and module.weight.shape[0] < 8192:
                # (not the LM head: prefill only computes logits for the last token)
                module.prefill_weight = module.weight.detach().to(prefill_dtype).contiguous()
            switched += 1
        elif prefill_dtype is not None:
            for name in ("gate_up_proj", "down_proj"):
                weight = getattr(module, name, None)
                if isinstance(weight, torch.Tensor) and weight.dim() == 3:
                    setattr(
                        module, f"prefill_{name}", weight.detach().to(prefill_dtype).contiguous()
                    )
    return switched
