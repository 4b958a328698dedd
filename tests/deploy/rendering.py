"""The chart rendered offline (docker/helm/render.py, Helm's own library) and read back as dicts."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "docker" / "helm"
VLLM_VALUES_FILE = HELM / "examples" / "vllm-gpu.yaml"

Manifest = dict[str, Any]

# The product's secrets: each must reach a pod through a secretKeyRef, never as a value.
SECRET_NAMES = frozenset(
    {
        "DJANGO_SECRET_KEY",
        "INFERENCE_API_KEY",
        "VLLM_API_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
        "OIDC_CLIENT_SECRET",
        "SCIM_TOKEN",
    }
)


@cache
def render_script() -> ModuleType:
    """docker/helm/render.py, the renderer the README tells readers to run."""
    spec = importlib.util.spec_from_file_location("helm_render", HELM / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def vllm_values() -> dict[str, Any]:
    """The example values that serve the model with vLLM on GPUs."""
    values: dict[str, Any] = yaml.safe_load(VLLM_VALUES_FILE.read_text())
    return values


def everything_on() -> dict[str, Any]:
    """Values that turn on every optional feature of the chart at once."""
    return {
        "slack": {"enabled": True},
        "oidc": {"issuer": "https://login.example.com", "clientId": "assistant"},
        "scim": {"enabled": True},
        "redis": {"existingSecret": "assistant-redis"},
        "postgresql": {"existingSecret": "assistant-database"},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "tlsSecretName": "assistant-tls",
        },
        "config": {"env": {"RETRIEVAL_HNSW_EF_SEARCH": 200, "LOG_LEVEL": "INFO"}},
    }


@cache
def _render(values_json: str, upgrade: bool) -> tuple[Manifest, ...]:
    stream = render_script().render(json.loads(values_json), upgrade=upgrade)
    return tuple(document for document in yaml.safe_load_all(stream) if document)


def manifests(values: dict[str, Any] | None = None, *, upgrade: bool = False) -> list[Manifest]:
    """Every manifest the chart renders with `values` over its defaults, hooks included."""
    return list(_render(json.dumps(values or {}, sort_keys=True), upgrade))


def of_kind(documents: list[Manifest], kind: str) -> list[Manifest]:
    """The manifests of one kind."""
    return [document for document in documents if document["kind"] == kind]


def named(documents: list[Manifest], kind: str, name: str) -> Manifest:
    """The one manifest of `kind` called `name`."""
    found = [d for d in of_kind(documents, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def component(manifest: Manifest) -> str:
    """The app.kubernetes.io/component label of a manifest."""
    label: str = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
    return label


def pod_spec(manifest: Manifest) -> dict[str, Any]:
    """The pod template's spec of a Deployment or Job."""
    spec: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return spec


def workloads(documents: list[Manifest]) -> list[Manifest]:
    """The manifests that run pods."""
    return [d for d in documents if d["kind"] in {"Deployment", "Job"}]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A container's environment entries by name."""
    return {entry["name"]: entry for entry in container.get("env", [])}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """Whether matchLabels `selector` selects pods labelled `labels`."""
    return all(labels.get(key) == value for key, value in selector.items())
