from __future__ import annotations

from django.test import Client

from assistant.models import Conversation


def test_a_post_without_the_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post("/ask", {"question": "How long is parental leave?"})

    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client, db):
    response = client.post("/ask", {"question": "How long is parental leave?"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
