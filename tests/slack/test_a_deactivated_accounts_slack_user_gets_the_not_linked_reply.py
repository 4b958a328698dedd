"""Deactivating an account stops its Slack user at once, though Slack's answer is still cached."""

from __future__ import annotations

import pytest

from assistant.identity.services import account_deactivate
from assistant.models import Message
from assistant.slack.formatting import LINK_INSTRUCTIONS
from tests.slack.conftest import EchoModel, NoModel, command_body, event_body, post_command, unique

pytestmark = pytest.mark.django_db


def deactivate_by_scim(user) -> None:  # type: ignore[no-untyped-def]
    account_deactivate(user=user, source="scim")


def deactivate_by_hand(user) -> None:  # type: ignore[no-untyped-def]
    # Not through the service: the link stays, and must not count for an inactive account.
    user.is_active = False
    user.save(update_fields=["is_active"])


@pytest.mark.parametrize("deactivate", [deactivate_by_scim, deactivate_by_hand])
def test_a_deactivated_accounts_slack_user_gets_the_not_linked_reply(
    client, alice, link, library, slack_api, answer_here, deactivate
):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    link(alice, slack_user)
    before = answer_here(
        event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0ALICE"),
        chat_model=EchoModel(),
    )
    assert before.status == "answered"
    answers = Message.objects.count()

    deactivate(alice)
    after = answer_here(
        event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0ALICE"),
        chat_model=NoModel(),
    )
    assert after.status == "unlinked"
    last = slack_api.posted("chat.postMessage", channel="D0ALICE")[-1]
    assert last.body["text"] == LINK_INSTRUCTIONS
    response = post_command(client, command_body(user=slack_user, text="hotel limit?"))
    assert response.json() == {"response_type": "ephemeral", "text": LINK_INSTRUCTIONS}
    assert Message.objects.count() == answers

    # Slack was asked once: the account, not Slack's cached answer, was checked again.
    assert len(slack_api.looked_up("users.info", user=slack_user)) == 1
