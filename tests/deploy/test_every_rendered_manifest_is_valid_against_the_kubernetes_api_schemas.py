"""The chart renders, with its defaults, with vLLM on GPUs and with every feature on, into manifests
that the Kubernetes API schemas accept in strict mode (an unknown or misspelt field fails)."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.rendering import everything_on, manifests, vllm_values

# The oldest Kubernetes still common on managed clusters, and the newest kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")

VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "vllm on GPUs": vllm_values(),
    "every feature on": everything_on(),
    "external model, fixed replicas": {
        "model": {"kind": "external", "external": {"url": "https://llm.example.com"}},
        "web": {"autoscaling": {"enabled": False}},
    },
}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_rendered_manifest_is_valid_against_the_kubernetes_api_schemas(
    values: dict[str, Any], version: str
) -> None:
    documents = manifests(values)
    kinds = {document["kind"] for document in documents}
    assert {"Deployment", "Job", "Service", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    for document in documents:
        where = f"{document['kind']} {document['metadata']['name']}"
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            pytest.fail(f"{where} at {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{where}: {error.message}")
