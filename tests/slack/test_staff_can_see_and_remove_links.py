from __future__ import annotations

import pytest

from assistant.slack.models import SlackLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(carol):
    carol.is_staff = True
    carol.save()
    return carol


def test_staff_see_every_link_and_can_remove_one(client, staff, alice, link):
    alice_link = link(alice, "U0ALICE")
    client.force_login(staff)
    page = client.get("/slack/links/")
    assert b"U0ALICE" in page.content and b"alice" in page.content
    response = client.post(f"/slack/links/{alice_link.pk}/remove")
    assert response.status_code == 302
    assert not SlackLink.objects.exists()


def test_people_who_are_not_staff_can_neither_see_nor_remove_links(client, alice, bob, link):
    bob_link = link(bob, "U0BOB")
    client.force_login(alice)
    assert client.get("/slack/links/").status_code == 302
    client.post(f"/slack/links/{bob_link.pk}/remove")
    assert SlackLink.objects.filter(pk=bob_link.pk).exists()
