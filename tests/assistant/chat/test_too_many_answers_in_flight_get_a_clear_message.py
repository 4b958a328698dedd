"""Asking in the chat while one's answers in progress are at the limit shows why, and saves nothing."""

from __future__ import annotations

import pytest

from assistant.inflight import answer_slot
from assistant.models import Conversation

from .conftest import ask, stream_events


@pytest.mark.django_db(transaction=True)
def test_the_chat_explains_the_refusal_and_answers_once_a_slot_is_free(
    client, settings, alice, model, retriever
):
    settings.MAX_ANSWERS_IN_FLIGHT = 1
    client.force_login(alice)
    model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")

    with answer_slot(alice):
        refused = stream_events(client.post("/ask", {"question": "How long is parental leave?"}))

    assert refused == [
        {"type": "error", "message": "You have 1 answer in progress; wait for one to finish."}
    ]
    assert not Conversation.objects.filter(owner=alice).exists()

    answered = ask(client, "How long is parental leave?")
    assert answered[-1]["type"] == "done" and answered[-1]["status"] == "complete"


@pytest.mark.django_db(transaction=True)
def test_regenerating_counts_too(client, settings, alice, model, retriever):
    settings.MAX_ANSWERS_IN_FLIGHT = 1
    client.force_login(alice)
    model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")
    conversation = ask(client, "How long is parental leave?")[0]["conversation_id"]

    with answer_slot(alice):
        refused = stream_events(client.post(f"/conversations/{conversation}/regenerate"))

    assert [event["type"] for event in refused] == ["error"]
    assert "answer in progress" in refused[0]["message"]
