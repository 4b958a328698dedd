"""Sign-in lockouts count the client's address: the proxy's X-Forwarded-For when the request comes
from the proxy, and never a header sent by anyone else."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.conf import settings

from tests.conftest import PASSWORD, ROOT, child_env, free_port, stop_process, wait_for_http


@pytest.fixture
def web_trusting(tmp_path) -> Iterator[Callable[[str], str]]:  # type: ignore[no-untyped-def]
    """Start the real web process trusting forwarded headers from the given addresses only."""
    started: list[subprocess.Popen[bytes]] = []

    def start(forwarded_allow_ips: str) -> str:
        port = free_port()
        log_path = tmp_path / f"web-{port}.log"
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "assistant.asgi:application",
                "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                "--proxy-headers", "--forwarded-allow-ips", forwarded_allow_ips,
            ],
            cwd=ROOT, env=child_env(), stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/accounts/login/", proc, log_path, timeout=120)
        return url

    yield start
    for proc in started:
        stop_process(proc)


def sign_in(url: str, password: str, client_address: str) -> int:
    """Status of a sign-in as alice, the request claiming to be forwarded for `client_address`."""
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get("/accounts/login/")
        response = client.post(
            "/accounts/login/",
            data={
                "username": "alice",
                "password": password,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={"X-Forwarded-For": client_address, "Referer": f"{url}/accounts/login/"},
        )
        return response.status_code


@pytest.mark.django_db(transaction=True)
def test_behind_the_trusted_proxy_each_client_address_counts_apart(web_trusting, alice):
    url = web_trusting("127.0.0.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(url, "wrong guess", "203.0.113.5")

    assert sign_in(url, PASSWORD, "203.0.113.5") == 429
    # Same proxy, another client: not locked out by the first one's guesses.
    assert sign_in(url, PASSWORD, "203.0.113.6") == 302


@pytest.mark.django_db(transaction=True)
def test_a_client_that_is_not_the_proxy_cannot_dodge_the_lockout(web_trusting, alice):
    url = web_trusting("192.0.2.1")  # the proxy is elsewhere; these requests come straight in
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(url, "wrong guess", f"203.0.113.{attempt}")

    assert sign_in(url, PASSWORD, "198.51.100.77") == 429
