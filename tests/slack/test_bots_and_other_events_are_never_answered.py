"""The bot ignores its own messages, other bots, edits and channel chatter, but still says 200."""

from __future__ import annotations

import pytest

from assistant.slack.models import SlackEvent
from tests.slack.conftest import BOT_USER, event_body, post_event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "event",
    [
        {"user": BOT_USER, "kind": "im"},
        {"user": BOT_USER, "kind": "app_mention"},
        {"user": "U0OTHERBOT", "kind": "im", "bot_id": "B0OTHER"},
        {"user": "U0OTHERBOT", "kind": "im", "subtype": "bot_message"},
        {"user": "U0ALICE", "kind": "im", "subtype": "message_changed"},
        {"user": "U0ALICE", "kind": "channel_message"},
    ],
    ids=["own-dm", "own-mention", "bot-id", "bot-message", "edit", "channel-chatter"],
)
def test_bots_and_other_events_are_never_answered(client, event):
    response = post_event(client, event_body(text="hello", **event))
    assert response.status_code == 200
    assert not SlackEvent.objects.exists()


def test_a_person_writing_to_the_bot_is_recorded(client):
    response = post_event(client, event_body(user="U0ALICE", text="hello", kind="im"))
    assert response.status_code == 200
    event = SlackEvent.objects.get()
    assert (event.kind, event.slack_user_id, event.text) == ("dm", "U0ALICE", "hello")
