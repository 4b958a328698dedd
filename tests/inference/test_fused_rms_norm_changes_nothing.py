from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from inference.loading import use_fused_rms_norm

ARCHITECTURES = ["mixtral", "qwen2_moe", "qwen3_moe", "olmoe", "granitemoe"]


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_rms_norms_switch_to_the_fused_call_with_identical_logits(make_tiny_model, arch):
    path = make_tiny_model(arch)
    plain = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    fused = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    norms = sum(1 for m in fused.modules() if type(m).__name__.endswith("RMSNorm"))

    switched = use_fused_rms_norm(fused)

    assert norms > 0 and switched == norms
    ids = torch.randint(0, 1000, (2, 9), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(plain(input_ids=ids).logits, fused(input_ids=ids).logits)
