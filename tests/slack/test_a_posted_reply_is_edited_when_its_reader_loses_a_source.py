"""A reply already posted in Slack is edited when its reader loses access to a source it used.

Slack keeps its own copy of the reply, so it cannot be re-checked when shown: leaving a group (or a
document's deletion) queues a re-render that edits the reply in place with chat.update. The edited
reply keeps no title, snippet or text of the lost document; getting access back restores it.
"""

from __future__ import annotations

import pytest

from assistant.readable import SOURCE_GONE
from assistant.slack.rerender import slack_replies_rerender
from retrieval.services import document_delete
from tests.slack.conftest import HR_CANARY, EchoModel, event_body

pytestmark = pytest.mark.django_db

SECRETS = [HR_CANARY, "HR salary bands", "240 euros"]


def ask_by_dm(alice, link, answer_here, slack_api):  # type: ignore[no-untyped-def]
    link(alice, "U0ALICE")
    body = event_body(
        user="U0ALICE", text="What is the hotel allowance for HR auditors?", kind="im",
        channel="D0ALICE",
    )  # fmt: skip
    event = answer_here(body, chat_model=EchoModel())
    (reply,) = slack_api.posted("chat.postMessage", channel="D0ALICE")
    assert HR_CANARY in reply.body["text"]
    return event


def test_leaving_the_group_edits_the_reply_and_coming_back_restores_it(
    alice, groups, link, library, slack_api, answer_here, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    event = ask_by_dm(alice, link, answer_here, slack_api)

    with django_capture_on_commit_callbacks() as queued:
        alice.groups.remove(groups["HR"])
    assert len(queued) == 1, "leaving a group should queue a re-render of that person's replies"

    assert slack_replies_rerender(user_id=alice.pk) == 1
    (update,) = slack_api.posted("chat.update")
    assert update.body["channel"] == "D0ALICE"
    assert update.body["ts"] == event.reply_ts
    assert SOURCE_GONE in update.body["text"]
    assert not [s for s in SECRETS if s in update.everything()]

    # Nothing changed since: nothing more is sent to Slack.
    assert slack_replies_rerender() == 0
    assert len(slack_api.posted("chat.update")) == 1

    alice.groups.add(groups["HR"])
    assert slack_replies_rerender(user_id=alice.pk) == 1
    restored = slack_api.posted("chat.update")[-1]
    assert HR_CANARY in restored.body["text"]


def test_deleting_the_document_edits_the_reply(
    alice, link, library, slack_api, answer_here, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    ask_by_dm(alice, link, answer_here, slack_api)

    with django_capture_on_commit_callbacks() as queued:
        document_delete(document=library["hr"])
    assert queued, "deleting a document should queue a re-render of Slack replies"

    assert slack_replies_rerender() == 1
    (update,) = slack_api.posted("chat.update")
    assert SOURCE_GONE in update.body["text"]
    assert not [s for s in SECRETS if s in update.everything()]
