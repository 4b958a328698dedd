from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.inflight import answer_slot
from assistant.models import Message
from assistant.slack.answering import event_answer, event_claim
from assistant.slack.models import SlackEvent
from tests.doubles import EchoModel
from tests.slack.conftest import event_body, post_event

pytestmark = pytest.mark.django_db


def test_a_question_over_the_limit_is_answered_with_the_reason(
    client, settings, alice, link, library, slack_api
):
    settings.MAX_ANSWERS_IN_FLIGHT = 1
    link(alice, "U0ALICE")
    post_event(client, event_body(user="U0ALICE", text="hotel limit?", kind="im", channel="D0A"))
    event = event_claim(event_id=SlackEvent.objects.get().pk, hold=timedelta(minutes=1))
    model = EchoModel()

    with answer_slot(alice):  # an answer of alice's is in progress on the web
        event_answer(event=event, chat_model=model)

    (reply,) = slack_api.posted("chat.postMessage", channel="D0A")
    assert reply.body["text"] == "You have 1 answer in progress; wait for one to finish."
    assert not model.prompts
    assert not Message.objects.exists()
    assert SlackEvent.objects.get().status == SlackEvent.Status.ANSWERED
