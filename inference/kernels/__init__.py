"""The C kernels of inference as one shared library, compiled on first use for this CPU.

gemv.c holds the decode products and decode attention, fused.c the fused steps of a lean
decode step, int8.c the passes around int8 prefill's product; kernels.h what they share. This
module imports nothing else of inference, so every module that calls a kernel can import it.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inference.kernels.build import compile_library

# The files the library is built from (headers first; only the .c files are compiled).
SOURCES = ("kernels.h", "gemv.c", "fused.c", "int8.c")

# -Wno-psabi: without AVX-512 in the target (AMD before Zen 4, Intel before Skylake-SP), GCC
# says that passing or returning a 64-byte vector "changes the ABI". That concerns calls between
# files built with and without AVX-512; every function of the kernels that takes or returns a
# vector is static, so no such call exists, and the message says nothing about this code.
FLAGS = (
    "-O3",
    "-march=native",
    "-pthread",
    "-shared",
    "-fPIC",
    "-Wall",
    "-Wextra",
    "-Wno-psabi",
)


def kernel_tuning(cpuinfo: str | None = None) -> dict[str, int]:
    """The kernel's compile-time tuning for this CPU (see gemv.c), by vendor.

    AMD: the layout tuned on the EPYC (a non-temporal prefetch every 16 weights, one weight row
    per pass). Elsewhere, what the Ice Lake Xeon streamed fastest with (a prefetch into every
    cache level once per line, 4 weight rows per pass for one input row and 2 for more): bf16
    weights at 20.8 GB/s with two threads, against 15 GB/s with the EPYC's layout.
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    if "AuthenticAMD" in cpuinfo:
        return {
            "PREFETCH_HINT": 0,
            "PREFETCH_PER_LINE": 0,
            "WEIGHT_ROWS_ONE": 1,
            "WEIGHT_ROWS_MANY": 1,
        }
    return {"PREFETCH_HINT": 3, "PREFETCH_PER_LINE": 1, "WEIGHT_ROWS_ONE": 4, "WEIGHT_ROWS_MANY": 2}


def compile_flags(tuning: Mapping[str, int]) -> list[str]:
    """The compiler flags of a build with `tuning` (see kernel_tuning)."""
    return [*FLAGS, *(f"-D{name}={value}" for name, value in tuning.items())]


_pointer, _long, _int, _float = ctypes.c_void_p, ctypes.c_long, ctypes.c_int, ctypes.c_float

# The argument types of each function the library exports, as kernels.h declares them; all
# return void. Pointers are passed as addresses (torch's data_ptr()).
BINDINGS: dict[str, list[Any]] = {
    "gemv_nk": [*[_pointer] * 3, *[_long] * 3, _int, _int],
    "gemv_grouped": [*[_pointer] * 4, *[_long] * 4, _int, _int],
    "attend_decode": [*[_pointer] * 6, *[_long] * 6, _float, _int, _int],
    "add_rms_norm": [_pointer, _pointer, _float, _pointer, _pointer, _long, _long, _float],
    "rope_store": [
        *(_pointer, _long, _long, _long, _long, _long),
        *(_pointer, _pointer, _pointer, _pointer, _pointer),
        *(_long, _long, _pointer, _int),
    ],
    "moe_decode": [
        *(_pointer, _long, _long, _pointer, _pointer, _long, _long, _long, _pointer, _pointer),
        *(_int, _pointer, _pointer, _int),
    ],
    "int8_quantize_rows": [*[_pointer] * 3, _long, _long],
    "int8_rescale": [*[_pointer] * 4, _long, _long],
}


def load(tuning: Mapping[str, int]) -> ctypes.CDLL | None:
    """The library built with `tuning`, its functions bound; None when INFERENCE_GEMV=0 turns the
    kernels off, when there is no C compiler, or when the build fails (callers then use torch)."""
    if os.environ.get("INFERENCE_GEMV", "1") == "0":
        return None
    return _built(tuple(tuning.items()))


# One build (or one failed try) per tuning and process, whichever module asks first.
@functools.cache
def _built(tuning: tuple[tuple[str, int], ...]) -> ctypes.CDLL | None:
    loaded = compile_library(SOURCES, compile_flags(dict(tuning)), name="kernels")
    if loaded is None:
        return None
    for name, argtypes in BINDINGS.items():
        function = getattr(loaded, name)
        function.restype = None
        function.argtypes = argtypes
    return loaded


@functools.cache
def library() -> ctypes.CDLL | None:
    """The library tuned for this machine's CPU, built once per process (see `load`)."""
    return load(kernel_tuning())
