"""`model.kind` picks what serves the model, and every process is pointed at it (INFERENCE_URL):
the bundled server or vLLM through the model Service, or an external server's URL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import component, env_of, manifests, named, pod_spec, workloads

EXTERNAL = {"model": {"kind": "external", "external": {"url": "https://llm.example.com"}}}


def inference_env(documents: list[dict[str, Any]]) -> set[tuple[str, str | None]]:
    """(INFERENCE_URL, INFERENCE_MODEL) as every process of the product sees them."""
    seen = set()
    for workload in workloads(documents):
        if component(workload) == "model":
            continue
        for container in pod_spec(workload)["containers"]:
            env = env_of(container)
            model = env.get("INFERENCE_MODEL", {}).get("value")
            seen.add((env["INFERENCE_URL"]["value"], model))
    return seen


@pytest.mark.parametrize(
    ("values", "image", "port", "model"),
    [
        ({}, "registry.example.com/assistant", 8001, None),
        (
            {"model": {"kind": "vllm", "vllm": {"weights": {"existingClaim": "weights"}}}},
            "vllm/vllm-openai",
            8000,
            "mixtral-8x7b-instruct",
        ),
    ],
    ids=["bundled", "vllm"],
)
def test_an_in_cluster_model_is_reached_through_the_model_service(
    values: dict[str, Any], image: str, port: int, model: str | None
) -> None:
    documents = manifests(values)
    service = named(documents, "Service", "assistant-model")
    [service_port] = service["spec"]["ports"]
    assert inference_env(documents) == {(f"http://assistant-model:{service_port['port']}", model)}

    deployment = named(documents, "Deployment", "assistant-model")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert all(labels[key] == value for key, value in service["spec"]["selector"].items())
    [container] = pod_spec(deployment)["containers"]
    assert container["image"].split(":")[0] == image
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports[service_port["targetPort"]] == port


def test_an_external_model_is_reached_at_its_url_and_nothing_is_deployed_for_it() -> None:
    documents = manifests(EXTERNAL)
    assert inference_env(documents) == {("https://llm.example.com", None)}
    assert [d for d in documents if d["metadata"]["name"] == "assistant-model"] == []
