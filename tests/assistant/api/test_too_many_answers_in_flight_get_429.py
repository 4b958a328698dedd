"""One person may have only so many answers in progress; the API says so in the OpenAI shape."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from assistant.inflight import answer_slot
from assistant.models import Conversation

from .conftest import post_json

QUESTION = {"role": "user", "content": "How long is parental leave?"}
BODY = {"model": "assistant", "messages": [QUESTION]}


@pytest.mark.django_db(transaction=True)
def test_a_request_over_the_limit_gets_429_and_changes_nothing(
    client, settings, alice, token_for, fake_model, leave_passage
):
    settings.MAX_ANSWERS_IN_FLIGHT = 2
    token = token_for(alice)
    with ExitStack() as answering:
        # Two answers of alice's are in progress elsewhere (another tab, Slack, another process).
        answering.enter_context(answer_slot(alice))
        answering.enter_context(answer_slot(alice))

        response = post_json(client, "/v1/chat/completions", BODY, token)

    assert response.status_code == 429
    assert response.json()["error"] == {
        "message": "You have 2 answers in progress; wait for one to finish.",
        "type": "rate_limit_error",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert not Conversation.objects.filter(owner=alice).exists()


@pytest.mark.django_db(transaction=True)
def test_others_and_finished_answers_do_not_count(
    client, settings, alice, bob, token_for, fake_model, leave_passage
):
    settings.MAX_ANSWERS_IN_FLIGHT = 1
    for _ in range(3):
        fake_model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")

    with answer_slot(alice):
        assert post_json(client, "/v1/chat/completions", BODY, token_for(bob)).status_code == 200
    # One at a time, alice's answers each take and give back her only slot.
    assert post_json(client, "/v1/chat/completions", BODY, token_for(alice)).status_code == 200
    assert post_json(client, "/v1/chat/completions", BODY, token_for(alice)).status_code == 200
