"""Someone Slack knows but the assistant does not gets told how to link, never an answer."""

from __future__ import annotations

import pytest

from assistant.models import Message
from assistant.slack.formatting import LINK_INSTRUCTIONS
from assistant.slack.models import SlackEvent
from tests.slack.conftest import command_body, event_body, post_command

pytestmark = pytest.mark.django_db


class NoModel:
    def stream_chat(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an unlinked person must not reach the model")

    def context_length(self) -> int:
        return 4096


def test_a_dm_from_an_unlinked_person_gets_instructions_in_the_dm(library, slack_api, answer_here):
    event = answer_here(
        event_body(user="U0STRANGER", text="hotel limit?", kind="im", channel="D0S"),
        chat_model=NoModel(),
    )
    assert event.status == "unlinked"
    (reply,) = slack_api.posted("chat.postMessage", channel="D0S")
    assert reply.body["text"] == LINK_INSTRUCTIONS
    assert not Message.objects.exists()


def test_a_mention_by_an_unlinked_person_gets_instructions_only_they_see(
    library, slack_api, answer_here
):
    answer_here(event_body(user="U0STRANGER", text="hotel limit?"), chat_model=NoModel())
    assert not slack_api.posted("chat.postMessage")
    (note,) = slack_api.posted("chat.postEphemeral", user="U0STRANGER")
    assert note.body["text"] == LINK_INSTRUCTIONS


def test_a_slash_command_from_an_unlinked_person_gets_instructions_at_once(client):
    response = post_command(client, command_body(user="U0STRANGER", text="hotel limit?"))
    assert response.json() == {"response_type": "ephemeral", "text": LINK_INSTRUCTIONS}
    assert not SlackEvent.objects.exists()


def test_a_removed_link_means_instructions_again(alice, link, library, slack_api, answer_here):
    link(alice, "U0ALICE").delete()
    event = answer_here(
        event_body(user="U0ALICE", text="hotel limit?", kind="im", channel="D0A"),
        chat_model=NoModel(),
    )
    assert event.status == "unlinked"
    assert not Message.objects.exists()
