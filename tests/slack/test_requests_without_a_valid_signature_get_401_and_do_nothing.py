"""Every Slack request is signed: anything else is answered 401 and leaves no trace."""

from __future__ import annotations

import json
import time

import pytest

from assistant.slack.models import LinkRequest, SlackEvent
from tests.slack.conftest import (
    command_body,
    event_body,
    post_command,
    post_event,
    signature,
    signed_headers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def body() -> bytes:
    return event_body(user="U0ALICE", text="What is the hotel limit?")


def assert_nothing_happened(response, callbacks) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401
    assert SlackEvent.objects.count() == 0
    assert LinkRequest.objects.count() == 0
    assert callbacks == []  # nothing queued for the worker


def test_a_valid_signature_passes_and_queues_one_answer(
    client, body, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body)
    assert response.status_code == 200
    assert SlackEvent.objects.count() == 1
    assert len(callbacks) == 1


def test_one_changed_byte_in_the_body_is_rejected(client, body, django_capture_on_commit_callbacks):
    headers = signed_headers(body)
    tampered = body.replace(b"hotel", b"hotEl", 1)
    assert tampered != body and len(tampered) == len(body)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, tampered, **headers)
    assert_nothing_happened(response, callbacks)


def test_one_changed_character_in_the_signature_is_rejected(
    client, body, django_capture_on_commit_callbacks
):
    headers = signed_headers(body)
    sig = headers["X-Slack-Signature"]
    headers["X-Slack-Signature"] = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **headers)
    assert_nothing_happened(response, callbacks)


@pytest.mark.parametrize("offset", [301, -301], ids=["301s-old", "301s-ahead"])
def test_a_timestamp_301_seconds_off_is_rejected(
    client, body, offset, django_capture_on_commit_callbacks
):
    headers = signed_headers(body, timestamp=int(time.time()) - offset)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **headers)
    assert_nothing_happened(response, callbacks)


@pytest.mark.parametrize("missing", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_a_missing_header_is_rejected(client, body, missing, django_capture_on_commit_callbacks):
    headers = signed_headers(body)
    del headers[missing]
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **headers)
    assert_nothing_happened(response, callbacks)


def test_a_signature_over_reserialised_json_is_rejected(
    client, body, django_capture_on_commit_callbacks
):
    # Same data, other bytes: a verifier that parsed and re-dumped the JSON would accept this.
    respaced = json.dumps(json.loads(body), indent=1).encode()
    headers = signed_headers(respaced)
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **headers)
    assert_nothing_happened(response, callbacks)


def test_a_garbage_timestamp_is_rejected(client, body, django_capture_on_commit_callbacks):
    headers = {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": signature(body, 0)}
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **headers)
    assert_nothing_happened(response, callbacks)


def test_an_unsigned_slash_command_issues_no_link(client, django_capture_on_commit_callbacks):
    body = command_body(user="U0ALICE", text="link")
    headers = signed_headers(body)
    headers["X-Slack-Signature"] = signature(body + b"&x=1", int(time.time()))
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_command(client, body, **headers)
    assert_nothing_happened(response, callbacks)


def test_a_url_verification_needs_a_signature_too(client, django_capture_on_commit_callbacks):
    body = json.dumps({"type": "url_verification", "challenge": "abc"}).encode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(client, body, **{"X-Slack-Signature": "v0=00"})
    assert_nothing_happened(response, callbacks)
