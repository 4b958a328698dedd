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

# Rows of x above which MKL's matrix-matrix product wins (it reuses each weight from registers
# across rows; this kernel re-reads its output row per input row).
MAX_ROWS = 8

# Products with at least this many rows (prefill chunks) may use bf16 copies of the weights:
# oneDNN's bf16 GEMM uses the CPU's AVX512-BF16 instructions and runs ~4x faster than MKL's fp32
# GEMM here, while decode (a few rows, memory-bound) stays fp32, where it is faster.
PREFILL_MIN_ROWS = 32

# y[M,N] = x[M,K] @ w[K,N], w row-major: an input-major weight (W.T contiguous). Each weight row
# is read once, front to back, and scaled into every output row, which stays in L1/L2. On the
# 2-core EPYC this ships on, MKL's sgemv streams weights at ~15 GB/s and this loop at ~24 GB/s
# (the machine reads ~26 GB/s with a plain sum), and decode is nothing but such products.
SOURCE = r"""
#include <stddef.h>
void gemv_km(const float* restrict x, const float* restrict w, float* restrict y,
             long M, long K, long N) {
    for (long m = 0; m < M; m++)
        for (long n = 0; n < N; n++) y[m * N + n] = 0.f;
    for (long k = 0; k < K; k++) {
        const float* restrict wr = w + k * N;
        for (long m = 0; m < M; m++) {
            const float a = x[m * K + k];
            float* restrict yr = y + m * N;
            for (long n = 0; n < N; n++) yr[n] += a * wr[n];
        }
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
        function = ctypes.CDLL(str(library)).gemv_km  # CDLL releases the GIL during calls
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("could not build the decode kernel (%s); using torch's matmul", exc)
        return None
    function.restype = None
    function.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_long] * 3
    return function


def available() -> bool:
    """True when the compiled kernel can be used in this process."""
    return _kernel() is not None


def matmul_input_major(x: torch.Tensor, weight_t: torch.Tensor) -> torch.Tensor:
    """x @ weight_t for a contiguous fp32 weight_t (K, N) and a few rows of x (…, K)."""
    kernel = _kernel()
    rows = x.numel() // x.shape[-1] if x.numel() else 0
    if (
        kernel is None
        or rows == 0
        or rows > MAX_ROWS
        or x.dtype != torch.float32
        or weight_t.dtype != torch.float32
        or not weight_t.is_contiguous()
        or x.device.type != "cpu"
    ):
        return torch.matmul(x, weight_t)
    k, n = weight_t.shape
    x = x.contiguous()
    out = torch.empty(*x.shape[:-1], n, dtype=torch.float32)
    kernel(x.data_ptr(), weight_t.data_ptr(), out.data_ptr(), rows, k, n)
    return out


def input_major_linear_forward(self: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    """nn.Linear.forward for a weight stored input-major (see loading.use_input_major_weights)."""
    prefill_weight = getattr(self, "prefill_weight", None)
    if prefill_weight is not None and x.numel() >= PREFILL_MIN_ROWS * x.shape[-1]:
        out = torch.nn.functional.linear(x.to(prefill_weight.dtype), prefill_weight).float()
    else:
        out = matmul_input_major(x, self.weight.t())
    if self.bias is not None:
        out = out + self.bias
    return out


def use_fast_linear(model: torch.nn.Module, *, prefill_dtype: torch.dtype | None = None) -> int:
    """Route every input-major fp32 nn.Linear of `model` through the decode kernel.

    With `prefill_dtype` (bfloat16), also keep a row-major copy of each weight in that dtype for
    prefill products, and the same for expert weights. Returns how many Linear modules moved.
    """
    switched = 0
    for module in model.modules():
        if (
            isinstance(module, torch.nn.Linear)
            and module.weight.dtype == torch.float32
            and module.weight.t().is_contiguous()
        ):
            module.forward = input_major_linear_forward.__get__(module)  # type: ignore[method-assign]
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
