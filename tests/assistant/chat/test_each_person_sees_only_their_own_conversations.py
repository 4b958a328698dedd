"""Alice's conversations are hers: Bob gets the same 404 for them as for ones that do not exist."""

from __future__ import annotations

import pytest

from assistant.models import Conversation, Message


@pytest.fixture
def alices(alice) -> Conversation:
    conversation = Conversation.objects.create(owner=alice, title="Alice's salary question")
    Message.objects.create(
        conversation=conversation, role="user", content="What is my salary band?"
    )
    Message.objects.create(conversation=conversation, role="assistant", content="Band E4 [1].")
    return conversation


def test_alice_sees_her_conversation_and_its_history(client, alice, alices):
    client.force_login(alice)

    response = client.get(f"/conversations/{alices.pk}/")

    assert response.status_code == 200
    assert b"What is my salary band?" in response.content
    assert b"Band E4" in response.content


def test_the_list_shows_only_your_own_conversations(client, bob, alices):
    Conversation.objects.create(owner=bob, title="Bob's build question")
    client.force_login(bob)

    response = client.get("/")

    assert response.status_code == 200
    assert b"Bob&#x27;s build question" in response.content
    assert b"salary" not in response.content


def test_someone_elses_conversation_looks_missing(client, bob, alices):
    client.force_login(bob)

    forbidden = client.get(f"/conversations/{alices.pk}/")
    missing = client.get(f"/conversations/{alices.pk + 1000}/")

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert b"salary" not in forbidden.content


def test_nobody_can_ask_into_someone_elses_conversation(client, bob, alices):
    client.force_login(bob)

    response = client.post("/ask", {"question": "And mine?", "conversation": alices.pk})

    assert response.status_code == 404
    assert alices.messages.count() == 2


def test_nobody_can_regenerate_in_someone_elses_conversation(client, bob, alices):
    client.force_login(bob)

    response = client.post(f"/conversations/{alices.pk}/regenerate")

    assert response.status_code == 404
    assert alices.messages.count() == 2
