from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.slack.answering import ReplyFailed, event_answer, event_claim, event_release
from assistant.slack.models import SlackEvent
from tests.slack.conftest import EchoModel, event_body, post_event

pytestmark = pytest.mark.django_db


def test_a_failed_post_is_retried_without_asking_the_model_again(
    client, alice, link, library, slack_api
):
    link(alice, "U0ALICE")
    post_event(client, event_body(user="U0ALICE", text="hotel limit?", kind="im", channel="D0A"))
    event = SlackEvent.objects.get()
    model = EchoModel()
    slack_api.failures["chat.postMessage"] = 1

    claimed = event_claim(event_id=event.pk, hold=timedelta(minutes=1))
    with pytest.raises(ReplyFailed):
        event_answer(event=claimed, chat_model=model)
    event_release(event=claimed, error="retrying")
    event_answer(event=event_claim(event_id=event.pk, hold=timedelta(minutes=1)), chat_model=model)

    assert len(model.prompts) == 1
    assert len(slack_api.posted("chat.postMessage")) == 2  # the failed attempt and the reply
    event.refresh_from_db()
    assert event.status == "answered" and event.reply_ts
    assert event_claim(event_id=event.pk, hold=timedelta(minutes=1)) is None  # done for good
