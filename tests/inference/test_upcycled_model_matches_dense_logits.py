from __future__ import annotations

import pytest
import torch

from inference.engine import Engine
from inference.upcycle import build_demo, load_dense


@pytest.mark.slow
def test_the_upcycled_moe_gives_the_dense_models_logits(demo_model, demo_engine):
    dense, tokenizer = load_dense()
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
        return_dict=False,
    )
    ids = torch.tensor([list(ids)])
    with torch.inference_mode():
        expected = dense(input_ids=ids).logits
        actual = demo_engine.model(input_ids=ids).logits
    diff = float((actual - expected).abs().max())
    assert diff < 1e-3, f"max abs logit difference {diff}"
    assert demo_engine.model.config.num_local_experts == 8
    assert demo_engine.model.config.num_experts_per_tok == 2


@pytest.mark.slow
def test_building_again_reuses_the_checkpoint(demo_model):
    result = build_demo(demo_model)
    assert not result.built
    assert result.seconds < 1
    assert isinstance(Engine, type)
