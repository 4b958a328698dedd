"""NetworkPolicies let web, workers and the migration Job reach PostgreSQL, web, workers and beat
reach Redis, and web and workers alone reach the model, which accepts nobody else and calls out to
nothing. Every pod the chart runs is under a policy, so none has unrestricted egress."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import (
    Manifest,
    manifests,
    of_kind,
    pod_spec,
    selects,
    vllm_values,
    workloads,
)

PRIVATE_BLOCKS = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}
IN_CLUSTER = {
    "postgresql": {"podSelector": {"app.kubernetes.io/name": "postgresql"}},
    "redis": {"podSelector": {"app.kubernetes.io/name": "redis"}},
}


def policy_for(documents: list[Manifest], labels: dict[str, str]) -> Manifest:
    found = [
        policy
        for policy in of_kind(documents, "NetworkPolicy")
        if selects(policy["spec"]["podSelector"]["matchLabels"], labels)
    ]
    assert len(found) == 1, f"pods labelled {labels} are under {len(found)} policies"
    return found[0]


def pod_labels(documents: list[Manifest]) -> dict[str, dict[str, str]]:
    """Pod labels of each component the chart runs (workers of every queue share theirs)."""
    return {
        labels["app.kubernetes.io/component"]: labels
        for labels in (w["spec"]["template"]["metadata"]["labels"] for w in workloads(documents))
    }


def model_labels_selector(labels: dict[str, str]) -> dict[str, str]:
    keys = ("app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name")
    return {key: labels[key] for key in keys}


def reaches(policy: Manifest, port: int, peer: dict[str, Any]) -> bool:
    for rule in policy["spec"].get("egress", []):
        ports = {entry["port"] for entry in rule.get("ports", [])}
        if "ports" in rule and port not in ports:
            continue
        peers = rule.get("to")
        if peers is None or peer in peers:
            return True
    return False


def who_reaches(documents: list[Manifest], port: int, peer: dict[str, Any]) -> set[str]:
    return {
        name
        for name, labels in pod_labels(documents).items()
        if reaches(policy_for(documents, labels), port, peer)
    }


@pytest.mark.parametrize("values", [{}, vllm_values()], ids=["bundled model", "vllm"])
def test_only_web_and_workers_reach_an_external_postgresql_redis_and_the_model(
    values: dict[str, Any],
) -> None:
    documents = manifests(values)
    model_labels = pod_labels(documents)["model"]
    model_port = pod_spec(
        next(w for w in workloads(documents) if w["metadata"]["name"] == "assistant-model")
    )["containers"][0]["ports"][0]["containerPort"]
    model_peer = {"podSelector": {"matchLabels": model_labels_selector(model_labels)}}

    for block in PRIVATE_BLOCKS:
        assert who_reaches(documents, 5432, {"ipBlock": {"cidr": block}}) == {
            "web",
            "worker",
            "migrate",
        }
        assert who_reaches(documents, 6379, {"ipBlock": {"cidr": block}}) == {
            "web",
            "worker",
            "beat",
        }
    assert who_reaches(documents, model_port, model_peer) == {"web", "worker"}
    assert who_reaches(documents, 443, {"ipBlock": {"cidr": "0.0.0.0/0"}}) == set()

    model_policy = policy_for(documents, model_labels)
    assert model_policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert model_policy["spec"].get("egress", []) == []
    [rule] = model_policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": model_port}]
    allowed = {
        name
        for name, labels in pod_labels(documents).items()
        if any(selects(peer["podSelector"]["matchLabels"], labels) for peer in rule["from"])
    }
    assert allowed == {"web", "worker"}


def test_an_in_cluster_postgresql_and_redis_are_reached_by_pod_selector() -> None:
    documents = manifests(IN_CLUSTER)
    postgres = {"podSelector": {"app.kubernetes.io/name": "postgresql"}}
    redis = {"podSelector": {"app.kubernetes.io/name": "redis"}}
    assert who_reaches(documents, 5432, postgres) == {"web", "worker", "migrate"}
    assert who_reaches(documents, 6379, redis) == {"web", "worker", "beat"}
    for block in PRIVATE_BLOCKS:
        assert who_reaches(documents, 5432, {"ipBlock": {"cidr": block}}) == set()


def test_web_accepts_connections_on_its_port_only() -> None:
    documents = manifests()
    policy = policy_for(documents, pod_labels(documents)["web"])
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    for name in ("worker", "beat", "migrate"):
        quiet = policy_for(documents, pod_labels(documents)[name])
        assert "Ingress" in quiet["spec"]["policyTypes"]
        assert quiet["spec"].get("ingress", []) == []
