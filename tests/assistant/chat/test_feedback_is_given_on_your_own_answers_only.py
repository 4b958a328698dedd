from __future__ import annotations

import pytest

from assistant.models import Conversation, Feedback, Message


@pytest.fixture
def answer(alice) -> Message:
    conversation = Conversation.objects.create(owner=alice, title="Leave")
    Message.objects.create(conversation=conversation, role="user", content="How long is leave?")
    return Message.objects.create(conversation=conversation, role="assistant", content="20 weeks.")


def test_alice_rates_her_answer_and_can_change_her_mind(client, alice, answer):
    client.force_login(alice)

    first = client.post(f"/answers/{answer.pk}/feedback", {"rating": "1"})
    second = client.post(
        f"/answers/{answer.pk}/feedback", {"rating": "-1", "comment": "It is 22 weeks now."}
    )

    assert first.status_code == second.status_code == 200
    assert second.json() == {"rating": -1, "comment": "It is 22 weeks now."}
    feedback = Feedback.objects.get()
    assert (feedback.user, feedback.message, feedback.rating) == (alice, answer, -1)
    assert feedback.comment == "It is 22 weeks now."


def test_her_rating_shows_when_she_comes_back(client, alice, answer):
    client.force_login(alice)
    client.post(f"/answers/{answer.pk}/feedback", {"rating": "1", "comment": "Spot on"})

    page = client.get(f"/conversations/{answer.conversation_id}/")

    assert b'data-rating="1" aria-pressed="true"' in page.content
    assert b"Spot on</textarea>" in page.content


def test_bob_cannot_rate_alices_answer(client, bob, answer):
    client.force_login(bob)

    response = client.post(f"/answers/{answer.pk}/feedback", {"rating": "-1"})

    assert response.status_code == 404
    assert not Feedback.objects.exists()


def test_questions_cannot_be_rated(client, alice, answer):
    question = answer.conversation.messages.get(role="user")
    client.force_login(alice)

    response = client.post(f"/answers/{question.pk}/feedback", {"rating": "1"})

    assert response.status_code == 404


def test_a_rating_other_than_up_or_down_is_refused(client, alice, answer):
    client.force_login(alice)

    response = client.post(f"/answers/{answer.pk}/feedback", {"rating": "5"})

    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_feedback_needs_a_post(client, alice, answer):
    client.force_login(alice)

    assert client.get(f"/answers/{answer.pk}/feedback").status_code == 405
