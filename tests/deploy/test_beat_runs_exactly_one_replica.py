"""Beat runs as exactly one pod, and an upgrade stops the old one before starting the new one:
two schedulers would send every periodic task twice."""

from __future__ import annotations

from tests.deploy.rendering import manifests, named, of_kind


def test_beat_runs_exactly_one_replica() -> None:
    documents = manifests({"web": {"autoscaling": {"enabled": False}, "replicas": 5}})
    beat = named(documents, "Deployment", "assistant-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    assert beat["spec"]["template"]["spec"]["containers"][0]["args"] == ["beat"]
    for autoscaler in of_kind(manifests(), "HorizontalPodAutoscaler"):
        assert autoscaler["spec"]["scaleTargetRef"]["name"] != "assistant-beat"
