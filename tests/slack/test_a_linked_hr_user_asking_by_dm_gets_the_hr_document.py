from __future__ import annotations

import pytest

from tests.slack.conftest import PUBLIC_BASE_URL, EchoModel, event_body

pytestmark = pytest.mark.django_db


def test_a_linked_hr_user_asking_by_dm_gets_the_hr_document(
    alice, link, library, slack_api, answer_here
):
    link(alice, "U0ALICE")
    body = event_body(
        user="U0ALICE", text="What is the hotel allowance for HR auditors?", kind="im",
        channel="D0ALICE",
    )  # fmt: skip
    event = answer_here(body, chat_model=EchoModel())

    assert event.status == "answered"
    (reply,) = slack_api.posted("chat.postMessage", channel="D0ALICE")
    assert "thread_ts" not in reply.body  # a DM answer is a plain message in the DM
    hr_chunk = library["hr"].chunks.get()
    assert f"<{PUBLIC_BASE_URL}/sources/{hr_chunk.pk}|HR salary bands" in reply.body["text"]
    assert "240 euros" in reply.body["text"]
    assert event.message.conversation.owner == alice
    assert event.message.conversation.surface == "slack"
