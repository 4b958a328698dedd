"""Each Celery queue (ingest, default) has its own worker Deployment, consuming that queue only,
with the replicas and concurrency its values ask for."""

from __future__ import annotations

from tests.deploy.rendering import component, env_of, manifests, of_kind, pod_spec


def test_each_queue_gets_its_own_worker_deployment() -> None:
    documents = manifests(
        {"workers": {"ingest": {"replicas": 6, "concurrency": 3}, "default": {"replicas": 1}}}
    )
    workers = [d for d in of_kind(documents, "Deployment") if component(d) == "worker"]
    by_queue = {}
    for worker in workers:
        [container] = pod_spec(worker)["containers"]
        assert container["args"] == ["worker"]
        by_queue[env_of(container)["WORKER_QUEUES"]["value"]] = (worker, container)

    assert set(by_queue) == {"ingest", "default"}
    ingest, ingest_container = by_queue["ingest"]
    assert ingest["spec"]["replicas"] == 6
    assert env_of(ingest_container)["WORKER_CONCURRENCY"]["value"] == "3"
    assert by_queue["default"][0]["spec"]["replicas"] == 1
