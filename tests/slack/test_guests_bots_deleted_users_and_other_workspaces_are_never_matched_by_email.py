"""Only full members of the workspace, with an email Slack confirmed, are matched by email.

Guests are not: their address is whatever whoever invited them typed. They can still use
`/ask link`, which proves they can sign in to the account.
"""

from __future__ import annotations

import pytest

from assistant.models import Message
from assistant.slack.formatting import LINK_INSTRUCTIONS
from tests.slack.conftest import NoModel, event_body, unique

pytestmark = pytest.mark.django_db

SLACK_USERS = {
    "a multi-channel guest": {"guest": True},
    "a single-channel guest": {"is_ultra_restricted": True},
    "a bot": {"is_bot": True},
    "a deleted user": {"deleted": True},
    "someone of another workspace": {"team": "T0OTHER"},
    "an email Slack never confirmed": {"is_email_confirmed": False},
}


@pytest.mark.parametrize("who", SLACK_USERS)
def test_they_get_link_instructions(alice, slack_api, answer_here, who):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", **SLACK_USERS[who])
    event = answer_here(
        event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0G"),
        chat_model=NoModel(),
    )
    assert event.status == "unlinked"
    (reply,) = slack_api.posted("chat.postMessage", channel="D0G")
    assert reply.body["text"] == LINK_INSTRUCTIONS
    assert not Message.objects.exists()


def test_matching_by_email_can_be_switched_off(alice, slack_api, answer_here, settings):
    settings.SLACK_MATCH_BY_EMAIL = False
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com")
    event = answer_here(
        event_body(user=slack_user, text="hotel limit?", kind="im", channel="D0OFF"),
        chat_model=NoModel(),
    )
    assert event.status == "unlinked"
    assert not slack_api.looked_up("users.info")
