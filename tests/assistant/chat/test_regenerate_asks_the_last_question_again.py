from __future__ import annotations

import pytest

from assistant.models import Message
from tests.assistant.chat.conftest import ask, stream_events

pytestmark = pytest.mark.django_db(transaction=True)


def test_regenerate_answers_the_last_question_again(client, alice, model, retriever):
    model.add_reply("Parental leave is 20 weeks [1].")
    model.add_reply("Parental leave lasts 20 weeks and is fully paid [1].")
    client.force_login(alice)
    conversation = ask(client, "How long is parental leave?")[0]["conversation_id"]

    events = stream_events(client.post(f"/conversations/{conversation}/regenerate"))

    assert events[-1]["content"].startswith("Parental leave lasts 20 weeks")
    # The question is answered again, not asked twice: no repeated question, no doubled search
    # query, and the previous attempt is not shown to the model as history.
    questions = Message.objects.filter(conversation_id=conversation, role="user")
    assert [q.content for q in questions] == ["How long is parental leave?"]
    assert retriever.asked[1] == retriever.asked[0]
    assert [m["role"] for m in model.messages[1]] == ["system", "user"]
    answers = Message.objects.filter(conversation_id=conversation, role="assistant")
    assert answers.count() == 2


def test_regenerate_needs_a_question_to_repeat(client, alice, model, retriever):
    from assistant.models import Conversation

    empty = Conversation.objects.create(owner=alice, title="Empty")
    client.force_login(alice)

    response = client.post(f"/conversations/{empty.pk}/regenerate")

    assert response.status_code == 404
