"""In production the model server will not start without INFERENCE_API_KEY: it would answer anyone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def serve(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "INFERENCE_API_KEY"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "inference", "serve", "--model", str(tmp_path / "no-model")],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_production_without_a_key_stops_with_one_clear_line(tmp_path):
    result = serve(tmp_path, ASSISTANT_ENV="production")

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configuration error: INFERENCE_API_KEY must be set when ASSISTANT_ENV=production"
    )


def test_a_blank_key_counts_as_none(tmp_path):
    result = serve(tmp_path, ASSISTANT_ENV="production", INFERENCE_API_KEY="  ")

    assert result.returncode == 2
    assert "INFERENCE_API_KEY must be set" in result.stderr


def test_with_a_key_it_goes_on_to_load_the_model(tmp_path):
    result = serve(tmp_path, ASSISTANT_ENV="production", INFERENCE_API_KEY="s3cret")

    # It gets as far as the (missing) model: the key check let it through.
    assert result.returncode != 0
    assert "INFERENCE_API_KEY" not in result.stderr
    assert "no-model" in result.stderr
