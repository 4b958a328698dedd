from __future__ import annotations

import pytest

from assistant.models import Conversation, Message
from tests.assistant.chat.conftest import ask

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_answer_streams_meta_deltas_sources_and_done(client, alice, model, retriever):
    model.add_reply("Parental leave is 20 weeks and fully paid [1].")
    client.force_login(alice)

    events = ask(client, "How long is parental leave?")

    types = [e["type"] for e in events]
    assert types[0] == "meta"
    assert types[-3:] == ["replace", "sources", "done"]
    assert "delta" in types
    streamed = "".join(e["text"] for e in events if e["type"] == "delta")
    assert streamed.startswith("Parental leave is 20 weeks")
    done = events[-1]
    assert done["status"] == Message.Status.COMPLETE
    assert [c["chunk_id"] for c in done["citations"]] == [1]
    # The final HTML is the same partial a reload shows: chip, source link, feedback buttons.
    assert 'class="cite"' in done["html"]
    assert 'href="/sources/1"' in done["html"]
    assert f'data-feedback-url="/answers/{done["message_id"]}/feedback"' in done["html"]


def test_a_first_question_starts_a_conversation_owned_by_the_asker(client, alice, model, retriever):
    model.add_reply("Parental leave is 20 weeks [1].")
    client.force_login(alice)

    meta = ask(client, "How long is parental leave?")[0]

    conversation = Conversation.objects.get(pk=meta["conversation_id"])
    assert conversation.owner == alice
    assert conversation.title == "How long is parental leave?"
    assert meta["conversation_url"] == f"/conversations/{conversation.pk}/"
    assert retriever.asked == [("alice", "How long is parental leave?")]


def test_a_follow_up_continues_the_same_conversation(client, alice, model, retriever):
    model.add_reply("Parental leave is 20 weeks [1].")
    model.add_reply("Yes, it is fully paid [1].")
    client.force_login(alice)
    first = ask(client, "How long is parental leave?")[0]["conversation_id"]

    second = ask(client, "Is parental leave paid?", conversation=first)[0]["conversation_id"]

    assert second == first
    assert Message.objects.filter(conversation_id=first).count() == 4


def test_a_blank_question_is_refused_with_400(client, alice, model, retriever):
    client.force_login(alice)

    response = client.post("/ask", {"question": "   "})

    assert response.status_code == 400
    assert model.received == []
