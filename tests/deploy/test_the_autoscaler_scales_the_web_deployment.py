"""A HorizontalPodAutoscaler scales the web Deployment, which then leaves its replica count to it
(a `replicas` in the Deployment would reset the autoscaler's choice on every upgrade)."""

from __future__ import annotations

from tests.deploy.rendering import manifests, named, of_kind


def test_the_autoscaler_scales_the_web_deployment() -> None:
    documents = manifests({"web": {"autoscaling": {"minReplicas": 3, "maxReplicas": 12}}})
    [autoscaler] = of_kind(documents, "HorizontalPodAutoscaler")
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"]) == ("apps/v1", "Deployment")
    web = named(documents, "Deployment", target["name"])
    assert web["metadata"]["labels"]["app.kubernetes.io/component"] == "web"
    assert "replicas" not in web["spec"]
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (3, 12)


def test_without_the_autoscaler_web_runs_the_replicas_asked_for() -> None:
    documents = manifests({"web": {"autoscaling": {"enabled": False}, "replicas": 4}})
    assert of_kind(documents, "HorizontalPodAutoscaler") == []
    assert named(documents, "Deployment", "assistant-web")["spec"]["replicas"] == 4
