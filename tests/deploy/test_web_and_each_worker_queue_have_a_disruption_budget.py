"""Web and the workers of each queue have a PodDisruptionBudget whose selector picks exactly their
pods, so a node drain takes them down a pod at a time."""

from __future__ import annotations

from tests.deploy.rendering import component, manifests, of_kind, selects


def test_web_and_each_worker_queue_have_a_disruption_budget() -> None:
    documents = manifests()
    budgets = of_kind(documents, "PodDisruptionBudget")
    deployments = of_kind(documents, "Deployment")
    protected = set()
    for deployment in deployments:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if selects(b["spec"]["selector"]["matchLabels"], labels)]
        if component(deployment) in {"web", "worker"}:
            [budget] = matching
            assert budget["spec"]["maxUnavailable"] == 1
            protected.add(deployment["metadata"]["name"])
    assert protected == {"assistant-web", "assistant-worker-ingest", "assistant-worker-default"}
    assert len(budgets) == len(protected)
