"""An email two active accounts share matches neither: answering as one could show the other's."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User

from assistant.models import Message
from assistant.slack.formatting import LINK_INSTRUCTIONS
from tests.conftest import PASSWORD
from tests.slack.conftest import EchoModel, NoModel, event_body, unique

pytestmark = pytest.mark.django_db


def test_two_accounts_sharing_an_email_match_neither(alice, slack_api, answer_here, caplog):
    User.objects.create_user("alice.admin", "ALICE@example.com", PASSWORD)
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")

    with caplog.at_level(logging.WARNING, logger="assistant.slack.selectors"):
        event = answer_here(
            event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0TWO"),
            chat_model=NoModel(),
        )

    assert event.status == "unlinked"
    (reply,) = slack_api.posted("chat.postMessage", channel="D0TWO")
    assert reply.body["text"] == LINK_INSTRUCTIONS
    assert not Message.objects.exists()
    assert any("several active accounts" in r.getMessage() for r in caplog.records)


def test_an_inactive_account_with_the_same_email_does_not_count(
    alice, library, slack_api, answer_here
):
    User.objects.create_user("alice.old", "alice@example.com", PASSWORD, is_active=False)
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    event = answer_here(
        event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0ONE"),
        chat_model=EchoModel(),
    )
    assert event.status == "answered"
    assert event.message.conversation.owner == alice
