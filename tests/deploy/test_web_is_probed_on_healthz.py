"""The kubelet checks web's readiness (and start-up) on /healthz and its liveness on /healthz/live,
on the port the container serves, with a Host header that Django's ALLOWED_HOSTS accepts (a pod's
address is not). Liveness does not depend on the database, Redis, workers or the model: restarting
web would fix none of them."""

from __future__ import annotations

from tests.deploy.rendering import env_of, manifests, named, pod_spec


def test_web_is_probed_on_healthz() -> None:
    [container] = pod_spec(named(manifests(), "Deployment", "assistant-web"))["containers"]
    port_names = {port["name"]: port["containerPort"] for port in container["ports"]}
    allowed_hosts = env_of(container)["DJANGO_ALLOWED_HOSTS"]["value"].split(",")

    for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
        check = container[kind]["httpGet"]
        assert check["path"] == ("/healthz/live" if kind == "livenessProbe" else "/healthz"), kind
        assert port_names[check["port"]] == 8000, kind
        [host] = [h["value"] for h in check["httpHeaders"] if h["name"] == "Host"]
        assert host in allowed_hosts, kind
    # A pod taken out of the Service for a passing outage should not be restarted as quickly.
    readiness, liveness = container["readinessProbe"], container["livenessProbe"]
    assert (
        liveness["periodSeconds"] * liveness["failureThreshold"]
        > readiness["periodSeconds"] * readiness["failureThreshold"]
    )
