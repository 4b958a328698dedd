from __future__ import annotations

import pytest

from inference.engine import Engine
from inference.sampling import SamplingParams

from .conftest import ARCHITECTURES


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_it_loads_a_tiny_checkpoint_and_generates(make_tiny_model, arch):
    engine = Engine(make_tiny_model(arch), max_batch=4, max_context=128)
    try:
        assert engine.sparse_experts, "the sparse experts path should apply to every MoE here"
        result = engine.complete(
            [{"role": "user", "content": "Hello there"}],
            SamplingParams(max_tokens=8, ignore_eos=True),
        )
    finally:
        engine.close()
    assert result.completion_tokens == 8
    assert result.finish_reason == "length"
    assert result.prompt_tokens > 0
