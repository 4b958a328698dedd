"""End to end through the web process and a real worker: an email no account has gets no answer."""

from __future__ import annotations

import httpx
import pytest

from assistant.slack.formatting import LINK_INSTRUCTIONS
from assistant.slack.models import SlackEvent
from tests.slack.conftest import command_body, event_body, signed_headers, unique

pytestmark = pytest.mark.django_db(transaction=True)


def post(url: str, body: bytes, content_type: str) -> httpx.Response:
    headers = {**signed_headers(body), "Content-Type": content_type}
    return httpx.post(url, content=body, headers=headers, timeout=10)


def test_a_slack_user_whose_email_matches_no_account_gets_the_not_linked_reply(
    fake_slack_server, slack_api, alice, bob, celery_worker, web_server
):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="dana@example.com", display_name="Dana Scully")

    body = event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0DANA")
    assert post(f"{web_server}/slack/events", body, "application/json").status_code == 200
    (reply,) = slack_api.wait_for("chat.postMessage", channel="D0DANA", timeout=60)
    assert reply.body["text"] == LINK_INSTRUCTIONS
    assert "work email" in LINK_INSTRUCTIONS and "/ask link" in LINK_INSTRUCTIONS
    # The worker asked Slack who this is before deciding.
    assert slack_api.looked_up("users.info", user=slack_user)

    command = post(
        f"{web_server}/slack/commands",
        command_body(user=slack_user, text="hotel limit?"),
        "application/x-www-form-urlencoded",
    )
    assert command.json() == {"response_type": "ephemeral", "text": LINK_INSTRUCTIONS}
    assert not SlackEvent.objects.filter(kind="command").exists()
