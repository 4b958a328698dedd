"""Migrations run once per install or upgrade, in a Job that Helm runs before any new pod starts
(a pre-install and pre-upgrade hook), not in each web pod. The Job's NetworkPolicy is a hook too,
created before the Job, because on a first install nothing else of the chart exists yet."""

from __future__ import annotations

import pytest

from tests.deploy.rendering import component, manifests, named, of_kind, pod_spec


@pytest.mark.parametrize("upgrade", [False, True], ids=["install", "upgrade"])
def test_migrations_run_as_a_hook_before_install_and_upgrade(upgrade: bool) -> None:
    documents = manifests(upgrade=upgrade)
    [job] = of_kind(documents, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"].split(",")
    [container] = pod_spec(job)["containers"]
    assert container["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"

    policy = named(documents, "NetworkPolicy", "assistant-migrate")
    assert policy["metadata"]["annotations"]["helm.sh/hook"] == annotations["helm.sh/hook"]
    assert int(policy["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        annotations["helm.sh/hook-weight"]
    )

    hooks = [d for d in documents if "helm.sh/hook" in d["metadata"].get("annotations", {})]
    assert {component(d) for d in hooks} == {"migrate"}
    [web] = pod_spec(named(documents, "Deployment", "assistant-web"))["containers"]
    assert web["command"][0] == "uvicorn"
    assert "migrate" not in web["command"] + web.get("args", [])
