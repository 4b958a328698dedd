"""Without users:read.email, Slack users are matched only through `/ask link`, as before."""

from __future__ import annotations

import logging

import pytest

from assistant.slack import profiles
from assistant.slack.formatting import LINK_INSTRUCTIONS
from tests.slack.conftest import HR_CANARY, TEAM, EchoModel, NoModel, event_body, unique

pytestmark = pytest.mark.django_db

# Without users:read Slack answers users.info with missing_scope; with users:read alone it answers
# without the email.
SCOPES_TAKEN_AWAY = {"missing_scope": "users:read", "no_email": "users:read.email"}


@pytest.mark.parametrize("case", SCOPES_TAKEN_AWAY)
def test_a_linked_user_is_answered_and_an_unlinked_one_gets_link_instructions(
    alice, bob, link, library, slack_api, answer_here, case
):
    slack_api.scopes.discard(SCOPES_TAKEN_AWAY[case])
    linked, unlinked = unique("U"), unique("U")
    slack_api.add_user(linked, email="alice@example.com", display_name="Alice Martin")
    slack_api.add_user(unlinked, email="bob@example.com", display_name="Bob Stone")
    link(alice, linked)

    answered = answer_here(
        event_body(user=linked, text="HR auditors hotel allowance?", kind="im", channel="D0A"),
        chat_model=EchoModel(),
    )
    assert answered.status == "answered"
    assert answered.message.conversation.owner == alice
    (reply,) = slack_api.posted("chat.postMessage", channel="D0A")
    assert HR_CANARY in reply.body["text"]

    refused = answer_here(
        event_body(user=unlinked, text="hotel limit?", kind="im", channel="D0B"),
        chat_model=NoModel(),
    )
    assert refused.status == "unlinked"
    (note,) = slack_api.posted("chat.postMessage", channel="D0B")
    assert note.body["text"] == LINK_INSTRUCTIONS


def test_a_missing_scope_is_logged_once(bob, slack_api, answer_here, caplog, monkeypatch):
    monkeypatch.setattr(profiles, "_reported", set())
    slack_api.scopes.discard("users:read")
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="bob@example.com")

    with caplog.at_level(logging.WARNING, logger="assistant.slack.profiles"):
        for channel in ("D0ONE", "D0TWO"):
            # Forgotten each time, so each question asks Slack again.
            profiles.slack_profile_forget(team_id=TEAM, slack_user_id=slack_user)
            event = answer_here(
                event_body(user=slack_user, text="hotel limit?", kind="im", channel=channel),
                chat_model=NoModel(),
            )
            assert event.status == "unlinked"

    assert len(slack_api.looked_up("users.info", user=slack_user)) == 2
    warnings = [r for r in caplog.records if "missing_scope" in r.getMessage()]
    assert len(warnings) == 1
    assert "users:read.email" in warnings[0].getMessage()
