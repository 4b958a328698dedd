"""`auto` prefill uses bf16 weight copies only where the CPU multiplies bf16 natively."""

from __future__ import annotations

import pytest
import torch

from inference.loading import resolve_prefill_dtype


def test_auto_matches_the_cpus_native_bf16_support():
    native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and not torch.cuda.is_available()
    expected = torch.bfloat16 if native else None
    assert resolve_prefill_dtype("auto", torch.float32) is expected


def test_explicit_choices_and_non_fp32_weights():
    assert resolve_prefill_dtype("float32", torch.float32) is None
    assert resolve_prefill_dtype("bfloat16", torch.float32) is torch.bfloat16
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
    engine = Engine(tiny_mixtral, max_batch=1, max_context=64, prefill_dtype="bfloat16")
    try:
        assert engine.prefill_dtype == "bfloat16"
    finally:
        engine.close()
