"""Every pod runs as the image's unprivileged user (uid 10001) without privilege escalation; the
product's containers have a read-only root and write only to an emptyDir /tmp and their volumes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.rendering import manifests, pod_spec, vllm_values, workloads


@pytest.mark.parametrize("values", [{}, vllm_values()], ids=["bundled model", "vllm"])
def test_pods_run_as_the_image_user_with_a_read_only_root(values: dict[str, Any]) -> None:
    for workload in workloads(manifests(values)):
        spec = pod_spec(workload)
        name = workload["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], name
            if container["name"] != "vllm":
                assert security["readOnlyRootFilesystem"] is True, name
