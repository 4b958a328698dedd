"""End to end: Slack → web process → real worker → real demo model → reply in the thread."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from assistant.slack.models import SlackEvent
from tests.slack.conftest import PUBLIC_BASE_URL, event_body, signed_headers

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_mention_is_answered_in_its_thread_with_citations(
    fake_slack_server, slack_api, alice, link, library, model_server, celery_worker, web_server
):
    link(alice, "U0ALICE")
    body = event_body(
        user="U0ALICE", text="What is the nightly hotel limit when travelling?",
        channel="C0TRAVEL", ts="1700000100.000200",
    )  # fmt: skip
    headers = {**signed_headers(body), "Content-Type": "application/json"}

    started = time.monotonic()
    response = httpx.post(f"{web_server}/slack/events", content=body, headers=headers, timeout=10)
    acked_in = time.monotonic() - started
    assert response.status_code == 200
    assert acked_in < 3

    (reply,) = slack_api.wait_for("chat.postMessage", channel="C0TRAVEL", timeout=300)
    assert reply.body["thread_ts"] == "1700000100.000200"
    assert reply.headers["Authorization"] == "Bearer xoxb-test-token"
    text = reply.body["text"]
    answer, _, sources = text.partition("\n\n*Sources*\n")
    assert answer.strip()
    org_chunk = library["org"].chunks.get()
    assert re.search(
        rf"^\[\d+\] <{re.escape(PUBLIC_BASE_URL)}/sources/{org_chunk.pk}\|Travel expenses policy",
        sources,
        re.MULTILINE,
    ), text

    # The private offer reaches only the asker.
    (offer,) = slack_api.wait_for("chat.postEphemeral", channel="C0TRAVEL", user="U0ALICE")
    assert "/ask" in offer.body["text"]
    # The worker marks the event answered after its last post, so the test may look first.
    event = _settled(SlackEvent.objects.get(channel_id="C0TRAVEL"))
    assert event.status == "answered"
    assert event.message.citations and event.message.status == "complete"


UNANSWERED = {"received", "queued", "answering"}


def _settled(event: SlackEvent, timeout: float = 30.0) -> SlackEvent:
    deadline = time.monotonic() + timeout
    while event.status in UNANSWERED and time.monotonic() < deadline:
        time.sleep(0.1)
        event.refresh_from_db()
    return event
