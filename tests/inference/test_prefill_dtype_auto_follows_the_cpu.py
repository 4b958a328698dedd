"""`auto` prefill uses bf16 weight copies where the CPU multiplies bf16 natively and fp32
elsewhere (emulated bf16 is slower than fp32); int8 only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from inference import loading
from inference.loading import resolve_prefill_dtype


@pytest.mark.parametrize(("bf16", "expected"), [(True, torch.bfloat16), (False, torch.float32)])
def test_auto_follows_the_cpus_bf16_support(monkeypatch, bf16, expected):
    monkeypatch.setattr(loading, "native_bf16", lambda: bf16)
    if torch.cuda.is_available():
        expected = None
    assert resolve_prefill_dtype("auto", torch.float32) is expected


def test_this_cpus_bf16_support_is_read_from_torch():
    # The suite runs on Linux (embedded PostgreSQL, a C compiler from apt), which has cpuinfo.
    flags = Path("/proc/cpuinfo").read_text()
    assert "flags" in flags
    assert loading.native_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


def test_explicit_choices_and_non_fp32_weights():
    assert resolve_prefill_dtype("float32", torch.float32) is torch.float32
    assert resolve_prefill_dtype("bfloat16", torch.float32) is torch.bfloat16
    assert resolve_prefill_dtype("int8", torch.float32) is torch.int8
    # Weights already in bf16 need no second copy, whatever was asked.
    assert resolve_prefill_dtype("bfloat16", torch.bfloat16) is None
    assert resolve_prefill_dtype("auto", torch.bfloat16) is None


def test_an_unknown_dtype_is_refused_by_name():
    with pytest.raises(ValueError, match="float16"):
        resolve_prefill_dtype("float16", torch.float32)


def test_the_engine_reports_what_it_chose(tiny_mixtral):
    from inference.engine import Engine

    engine = Engine(tiny_mixtral, max_batch=1, max_context=64, prefill_dtype="float32")
    try:
        assert engine.prefill_dtype == "float32"
    finally:
        engine.close()
    for dtype in ("bfloat16", "int8"):
        engine = Engine(tiny_mixtral, max_batch=1, max_context=64, prefill_dtype=dtype)
        try:
            assert engine.prefill_dtype == dtype
        finally:
            engine.close()
