from __future__ import annotations

from pathlib import Path

import pytest

from moderation import embedding
from moderation.training import TrainingData, train

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "moderation"


def test_training_stops_before_writing_when_the_onnx_encoder_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedding, "runtime", lambda: "torch-int8")
    data = TrainingData(
        openai=EVAL / "openai-moderation-dev.jsonl",
        injections=EVAL / "prompt-injections-train.jsonl",
        harmbench=EVAL / "harmbench-behaviors.csv",
    )
    out = tmp_path / "weights"
    with pytest.raises(RuntimeError, match="ONNX encoder"):
        train(data, out, limit=5, echo=lambda _: None)
    assert not out.exists()
