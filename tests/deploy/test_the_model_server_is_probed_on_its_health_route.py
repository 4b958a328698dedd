"""The bundled model server and vLLM are both probed on /health, which answers without the API key."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import manifests, named, pod_spec, vllm_values


@pytest.mark.parametrize(
    ("values", "port"), [({}, 8001), (vllm_values(), 8000)], ids=["bundled", "vllm"]
)
def test_the_model_server_is_probed_on_its_health_route(values: dict[str, Any], port: int) -> None:
    [container] = pod_spec(named(manifests(values), "Deployment", "assistant-model"))["containers"]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        check = container[kind]["httpGet"]
        assert check["path"] == "/health", kind
        assert port_names[check["port"]] == port, kind
