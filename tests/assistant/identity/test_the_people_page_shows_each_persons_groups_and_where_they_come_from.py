from __future__ import annotations

import pytest

from assistant.identity.services import account_groups_set, account_signed_in


@pytest.mark.django_db
def test_staff_see_sources_groups_and_events(client, alice, charlie, carol, groups):
    charlie.groups.add(groups["Engineering"])
    account_groups_set(user=alice, names=["HR", "Finance"], source="oidc")
    account_signed_in(user=alice, source="oidc")
    client.force_login(carol)

    page = client.get("/people/").content.decode()

    alice_row = page.split('data-username="alice"')[1].split("</tr>")[0]
    charlie_row = page.split('data-username="charlie"')[1].split("</tr>")[0]
    assert "Single sign-on (OIDC)" in alice_row and "HR (directory)" in alice_row
    assert "Local" in charlie_row and "Engineering (local)" in charlie_row
    assert "Signed in" in page and "Groups changed" in page
    detail = client.get(f"/people/{alice.pk}/").content.decode()
    assert "change only there" in detail and "Save groups" not in detail


@pytest.mark.django_db
def test_the_people_pages_are_for_staff_only(client, alice):
    client.force_login(alice)

    assert client.get("/people/").status_code == 404
    assert client.get(f"/people/{alice.pk}/").status_code == 404
