from __future__ import annotations

import pytest

from tests.slack.conftest import HR_CANARY, PUBLIC_BASE_URL, EchoModel, event_body

pytestmark = pytest.mark.django_db


def test_a_channel_mention_answers_only_from_org_wide_documents(
    alice, link, library, slack_api, answer_here
):
    link(alice, "U0ALICE")
    body = event_body(
        user="U0ALICE", text="What is the hotel allowance for HR auditors?", channel="C0ALL",
        ts="1700000000.000100",
    )  # fmt: skip
    event = answer_here(body, chat_model=EchoModel())

    (reply,) = slack_api.posted("chat.postMessage", channel="C0ALL")
    assert reply.body["thread_ts"] == "1700000000.000100"
    org_chunk = library["org"].chunks.get()
    assert f"<{PUBLIC_BASE_URL}/sources/{org_chunk.pk}|Travel expenses policy" in reply.body["text"]
    retrieved = {hit["document_id"] for hit in event.message.trace["retrieved"]}
    assert retrieved == {library["org"].pk}
    for call in slack_api.posted():
        assert HR_CANARY not in call.everything()
        assert "HR salary bands" not in call.everything()
        assert "240 euros" not in call.everything()


def test_the_asker_is_offered_a_private_answer(alice, link, library, slack_api, answer_here):
    link(alice, "U0ALICE")
    body = event_body(user="U0ALICE", text="hotel allowance?", channel="C0ALL")
    answer_here(body, chat_model=EchoModel())

    (offer,) = slack_api.posted("chat.postEphemeral", channel="C0ALL", user="U0ALICE")
    assert "`/ask hotel allowance?`" in offer.body["text"]
    assert "direct message" in offer.body["text"]


def test_with_channel_scope_asker_channels_get_the_askers_access(
    alice, link, library, slack_api, answer_here, settings
):
    settings.SLACK_CHANNEL_SCOPE = "asker"
    link(alice, "U0ALICE")
    body = event_body(user="U0ALICE", text="hotel allowance for HR auditors?", channel="C0HR")
    event = answer_here(body, chat_model=EchoModel())

    assert library["hr"].pk in {hit["document_id"] for hit in event.message.trace["retrieved"]}
    assert not slack_api.posted("chat.postEphemeral")
