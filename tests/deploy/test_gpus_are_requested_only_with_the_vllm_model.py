"""GPUs (nvidia.com/gpu) are requested by the vLLM model server only, and only when the values
choose vLLM; the bundled model and an external one ask for none."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import manifests, pod_spec, vllm_values, workloads

GPU = "nvidia.com/gpu"


def gpu_requests(values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    found = {}
    for workload in workloads(manifests(values)):
        for container in pod_spec(workload)["containers"]:
            resources = container.get("resources", {})
            requests = resources.get("requests", {}).get(GPU)
            limits = resources.get("limits", {}).get(GPU)
            if requests is not None or limits is not None:
                found[f"{workload['metadata']['name']}/{container['name']}"] = (requests, limits)
    return found


def test_vllm_requests_the_gpus_its_values_ask_for() -> None:
    values = vllm_values()
    values["model"]["vllm"].update(gpus=4, tensorParallelSize=4)
    assert gpu_requests(values) == {"assistant-model/vllm": (4, 4)}


@pytest.mark.parametrize(
    "values",
    [{}, {"model": {"kind": "external", "external": {"url": "https://llm.example.com"}}}],
    ids=["bundled", "external"],
)
def test_no_gpu_is_requested_without_vllm(values: dict[str, Any]) -> None:
    assert gpu_requests(values) == {}
