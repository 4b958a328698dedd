from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.slack.answering import AnswerFailed, event_answer, event_apologise, event_claim
from assistant.slack.formatting import SORRY
from assistant.slack.models import SlackEvent
from tests.slack.conftest import event_body, post_event

pytestmark = pytest.mark.django_db


class DownModel:
    def stream_chat(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("model server is down")

    def context_length(self) -> int:
        raise ConnectionRefusedError("model server is down")


def test_a_pipeline_failure_is_retried_and_finally_apologised_for(
    client, alice, link, library, slack_api
):
    link(alice, "U0ALICE")
    post_event(client, event_body(user="U0ALICE", text="hotel limit?", kind="im", channel="D0A"))
    event = event_claim(event_id=SlackEvent.objects.get().pk, hold=timedelta(minutes=1))

    with pytest.raises(AnswerFailed):
        event_answer(event=event, chat_model=DownModel())
    assert not slack_api.posted()  # nothing yet: the task will try again

    event_apologise(event_id=event.pk)
    event_apologise(event_id=event.pk)
    (reply,) = slack_api.posted("chat.postMessage", channel="D0A")
    assert reply.body["text"] == SORRY
