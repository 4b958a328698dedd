"""Slack redelivers events (retries, duplicates); one event_id gets exactly one reply."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from assistant.slack.models import SlackEvent
from tests.slack.conftest import event_body, signed_headers, unique

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_event_id_delivered_four_times_gets_one_reply(
    fake_slack_server, slack_api, celery_worker, web_server
):
    event_id = unique("EvDup")
    body = event_body(
        user="U0NEWCOMER", text="hello?", kind="im", channel="D0DUP", event_id=event_id
    )

    def deliver(retry: int) -> httpx.Response:
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        headers = signed_headers(body, **(extra if retry else {}))
        headers["Content-Type"] = "application/json"
        return httpx.post(f"{web_server}/slack/events", content=body, headers=headers, timeout=10)

    first = deliver(0)
    with ThreadPoolExecutor(max_workers=3) as pool:
        others = list(pool.map(deliver, [1, 2, 3]))
    assert [r.status_code for r in [first, *others]] == [200] * 4

    slack_api.wait_for("chat.postMessage", channel="D0DUP", timeout=60)
    time.sleep(3)  # room for a wrongly queued second reply to arrive
    assert len(slack_api.posted("chat.postMessage", channel="D0DUP")) == 1
    assert SlackEvent.objects.filter(dedupe_key=f"event:{event_id}").count() == 1
