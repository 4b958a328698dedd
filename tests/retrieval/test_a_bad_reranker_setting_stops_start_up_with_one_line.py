"""A RETRIEVAL_RERANKER that names no usable model stops start-up with one line, not a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.retrieval.rerankers import cross_encoder_folder  # noqa: F401

# Addresses nothing listens on: `check` reads the settings and never connects to either.
SERVICES = {
    "DATABASE_URL": "postgresql://assistant@db.example.com/assistant",
    "REDIS_URL": "redis://redis.example.com:6379/0",
    "DJANGO_SETTINGS_MODULE": "assistant.settings",
}


def manage_check(reranker: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SERVICES, "RETRIEVAL_RERANKER": reranker}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def assert_stopped_with_one_line(result: subprocess.CompletedProcess[str], *names: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("configuration error: ")
    assert any(name in lines[0] for name in names), lines[0]


def test_a_missing_folder(tmp_path):
    missing = tmp_path / "no-such-model"

    result = manage_check(str(missing))

    assert_stopped_with_one_line(result, "RETRIEVAL_RERANKER")


def test_a_folder_with_no_model(tmp_path):
    result = manage_check(str(tmp_path))

    assert_stopped_with_one_line(result, "RETRIEVAL_RERANKER")


def test_a_folder_whose_config_is_not_a_cross_encoder(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps({"architectures": ["BertModel"], "model_type": "bert"}), encoding="utf-8"
    )

    result = manage_check(str(tmp_path))

    assert_stopped_with_one_line(result, "RETRIEVAL_RERANKER", "config.json")


def test_a_cross_encoder_whose_weights_are_cut_in_half(tmp_path, cross_encoder_folder):  # noqa: F811
    folder = tmp_path / "cut"
    shutil.copytree(cross_encoder_folder, folder)
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])

    result = manage_check(str(folder))

    assert_stopped_with_one_line(result, "RETRIEVAL_RERANKER", "model.safetensors")


@pytest.mark.parametrize("value", ["off", "whole"])
def test_a_usable_setting_passes_the_check(value, cross_encoder_folder):  # noqa: F811
    setting = str(cross_encoder_folder) if value == "whole" else value

    result = manage_check(setting)

    assert result.returncode == 0, result.stderr
    assert "configuration error" not in result.stderr
