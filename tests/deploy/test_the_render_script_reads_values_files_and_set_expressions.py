"""docker/helm/render.py, the README's rendering step, merges -f files and --set expressions over the
chart's defaults as `helm template` does, and prints one YAML stream."""

from __future__ import annotations

import pytest
import yaml

from tests.deploy.rendering import VLLM_VALUES_FILE, render_script


def test_the_render_script_reads_values_files_and_set_expressions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    render_script().main(
        ["-f", str(VLLM_VALUES_FILE), "--set", "workers.ingest.replicas=7,model.vllm.gpus=3"]
    )
    documents = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in documents}

    assert by_name[("Deployment", "assistant-worker-ingest")]["spec"]["replicas"] == 7
    model = by_name[("Deployment", "assistant-model")]["spec"]["template"]["spec"]
    [vllm] = model["containers"]
    # From the file: vLLM on two-way tensor parallelism; from --set: three GPUs.
    assert "--tensor-parallel-size=2" in vllm["args"]
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == 3
    # Defaults the file did not touch stay.
    assert by_name[("Deployment", "assistant-worker-default")]["spec"]["replicas"] == 2
