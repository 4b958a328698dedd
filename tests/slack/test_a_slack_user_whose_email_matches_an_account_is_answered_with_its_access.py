"""A Slack user whose Slack email is an account's email asks as that account, with no link."""

from __future__ import annotations

import pytest

from assistant.slack.models import SlackLink
from tests.slack.conftest import (
    HR_CANARY,
    PUBLIC_BASE_URL,
    EchoModel,
    command_body,
    event_body,
    unique,
)

pytestmark = pytest.mark.django_db

QUESTION = "What is the hotel allowance for HR auditors?"


def test_alice_asking_by_dm_gets_the_hr_document_without_a_link(
    alice, library, slack_api, answer_here
):
    slack_user = unique("U")
    # Slack keeps the case the person typed; accounts match whatever the case.
    slack_api.add_user(slack_user, email="Alice@Example.COM", display_name="Alice Martin")
    event = answer_here(
        event_body(user=slack_user, text=QUESTION, kind="im", channel="D0MAIL"),
        chat_model=EchoModel(),
    )

    assert event.status == "answered"
    assert not SlackLink.objects.exists()
    (reply,) = slack_api.posted("chat.postMessage", channel="D0MAIL")
    hr_chunk = library["hr"].chunks.get()
    assert f"<{PUBLIC_BASE_URL}/sources/{hr_chunk.pk}|HR salary bands" in reply.body["text"]
    assert HR_CANARY in reply.body["text"]
    assert event.message.conversation.owner == alice
    (lookup,) = slack_api.looked_up("users.info", user=slack_user)
    assert lookup.headers["Authorization"] == "Bearer xoxb-test-token"


def test_alice_asking_with_the_slash_command_gets_the_hr_document_without_a_link(
    alice, library, slack_api, answer_here
):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    event = answer_here(
        command_body(user=slack_user, text=QUESTION), chat_model=EchoModel(), command=True
    )

    assert event.status == "answered"
    (reply,) = slack_api.posted("response_url")
    assert HR_CANARY in reply.body["text"]
    assert event.message.conversation.owner == alice
    # The webhook and the answer both needed the account; Slack was asked once.
    assert len(slack_api.looked_up("users.info", user=slack_user)) == 1
