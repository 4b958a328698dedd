"""Uploaded documents live on one ReadWriteMany claim, mounted at ASSISTANT_MEDIA_ROOT by web (which
stores them) and the ingest workers (which read them), on whatever nodes they run."""

from __future__ import annotations

from typing import Any

from tests.deploy.rendering import env_of, manifests, named, of_kind, pod_spec


def documents_claim(deployment: dict[str, Any]) -> str | None:
    spec = pod_spec(deployment)
    [container] = spec["containers"]
    root = env_of(container)["ASSISTANT_MEDIA_ROOT"]["value"]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    if root not in mounts:
        return None
    volumes = {v["name"]: v for v in spec["volumes"]}
    claim: str = volumes[mounts[root]]["persistentVolumeClaim"]["claimName"]
    return claim


def test_uploaded_documents_live_on_one_volume_shared_by_web_and_ingest_workers() -> None:
    documents = manifests()
    [claim] = [
        c
        for c in of_kind(documents, "PersistentVolumeClaim")
        if "documents" in c["metadata"]["name"]
    ]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    name = claim["metadata"]["name"]
    assert documents_claim(named(documents, "Deployment", "assistant-web")) == name
    assert documents_claim(named(documents, "Deployment", "assistant-worker-ingest")) == name
    assert documents_claim(named(documents, "Deployment", "assistant-worker-default")) is None


def test_an_existing_claim_is_used_instead_of_a_new_one() -> None:
    documents = manifests({"documents": {"existingClaim": "company-files"}})
    claims = [c["metadata"]["name"] for c in of_kind(documents, "PersistentVolumeClaim")]
    assert not any("documents" in claim for claim in claims)
    assert documents_claim(named(documents, "Deployment", "assistant-web")) == "company-files"
    assert documents_claim(named(documents, "Deployment", "assistant-worker-ingest")) == (
        "company-files"
    )
