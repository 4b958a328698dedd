"""Every secret reaches the pods from an existing Kubernetes Secret (a secretKeyRef), with every
optional feature on; the chart creates no Secret and takes no secret as a value. The one exception is
a Redis URL without credentials, which may be given as a value (one with a password is refused)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from helm_python import HelmError

from tests.deploy.rendering import (
    SECRET_NAMES,
    env_of,
    everything_on,
    manifests,
    named,
    of_kind,
    pod_spec,
    vllm_values,
    workloads,
)


def test_every_secret_reaches_the_pods_through_a_secret_key_ref() -> None:
    seen = set()
    for values in (everything_on(), vllm_values(), {}):
        documents = manifests(values)
        assert of_kind(documents, "Secret") == []
        for workload in workloads(documents):
            for container in pod_spec(workload)["containers"]:
                for name, entry in env_of(container).items():
                    if name == "REDIS_URL" and "value" in entry:
                        assert urlsplit(entry["value"]).password is None
                    elif name in SECRET_NAMES:
                        assert "value" not in entry, (workload["metadata"]["name"], name)
                        assert entry["valueFrom"]["secretKeyRef"]["key"], name
                        seen.add(name)
    assert seen == SECRET_NAMES


def test_the_secrets_come_from_the_secrets_named_in_values() -> None:
    documents = manifests(everything_on())
    [web] = pod_spec(named(documents, "Deployment", "assistant-web"))["containers"]
    env = env_of(web)
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "assistant-database"
    assert env["REDIS_URL"]["valueFrom"]["secretKeyRef"]["name"] == "assistant-redis"
    assert env["SCIM_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "assistant-secrets"


@pytest.mark.parametrize(
    "values",
    [
        {"config": {"env": {"DJANGO_SECRET_KEY": "x" * 50}}},
        {"config": {"env": {"SLACK_BOT_TOKEN": "xoxb-1"}}},
        {"redis": {"url": "redis://:hunter2@redis:6379/0"}},
    ],
    ids=["secret key", "slack token", "redis password"],
)
def test_a_secret_given_as_a_value_is_refused(values: dict[str, object]) -> None:
    with pytest.raises(HelmError):
        manifests(values)
