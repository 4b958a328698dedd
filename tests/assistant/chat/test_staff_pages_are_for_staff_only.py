from __future__ import annotations

import pytest

from assistant.models import Conversation, Message

PAGES = ["/staff/moderation/", "/staff/traces/", "/staff/traces/{answer}/", "/staff/usage/"]


@pytest.fixture
def answer(alice) -> Message:
    conversation = Conversation.objects.create(owner=alice, title="Leave")
    return Message.objects.create(conversation=conversation, role="assistant", content="20 weeks.")


@pytest.mark.parametrize("page", PAGES)
def test_people_who_are_not_staff_get_404(client, alice, answer, page):
    client.force_login(alice)

    response = client.get(page.format(answer=answer.pk))

    assert response.status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, answer, page):
    response = client.get(page.format(answer=answer.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
def test_staff_see_the_audit_pages(client, carol, answer, page):
    client.force_login(carol)

    response = client.get(page.format(answer=answer.pk))

    assert response.status_code == 200


def test_the_audit_link_shows_only_for_staff(client, alice, carol):
    client.force_login(alice)
    assert b'href="/staff/traces/"' not in client.get("/").content

    client.force_login(carol)
    assert b'href="/staff/traces/"' in client.get("/").content
