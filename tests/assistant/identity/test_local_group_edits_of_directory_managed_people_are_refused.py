from __future__ import annotations

import pytest
from django.db import transaction

from assistant.identity.models import IdentityEvent
from assistant.identity.services import account_groups_set
from assistant.identity.signals import DirectoryManaged


@pytest.mark.django_db
def test_a_direct_edit_is_refused_and_says_why(alice, groups):
    account_groups_set(user=alice, names=["HR"], source="oidc")

    refusal = pytest.raises(DirectoryManaged, match="come from the company's directory")
    with refusal, transaction.atomic():
        alice.groups.add(groups["Engineering"])
    with pytest.raises(DirectoryManaged), transaction.atomic():
        groups["HR"].user_set.remove(alice)

    assert list(alice.groups.values_list("name", flat=True)) == ["HR"]


@pytest.mark.django_db
def test_the_people_page_refuses_the_edit_and_the_local_one_is_saved(
    client, alice, charlie, carol, groups
):
    account_groups_set(user=alice, names=["HR"], source="oidc")
    client.force_login(carol)

    refused = client.post(f"/people/{alice.pk}/", {"groups": [groups["Engineering"].pk]})
    saved = client.post(f"/people/{charlie.pk}/", {"groups": [groups["Engineering"].pk]})

    assert refused.status_code == 409
    assert "come from the company&#x27;s directory" in refused.content.decode()
    assert list(alice.groups.values_list("name", flat=True)) == ["HR"]
    assert saved.status_code == 302
    assert list(charlie.groups.values_list("name", flat=True)) == ["Engineering"]
    event = IdentityEvent.objects.get(user_id=charlie.pk, kind="groups_changed")
    assert event.source == "local" and event.detail["added"] == ["Engineering"]


@pytest.mark.django_db
def test_the_admin_user_form_refuses_the_edit(admin_client, alice, groups):
    account_groups_set(user=alice, names=["HR"], source="oidc")
    form = admin_client.get(f"/django-admin/auth/user/{alice.pk}/change/")
    assert form.status_code == 200
    data = {
        "username": "alice",
        "email": "alice@example.com",
        "is_active": "on",
        "groups": [groups["Engineering"].pk],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
    }

    response = admin_client.post(f"/django-admin/auth/user/{alice.pk}/change/", data)

    assert response.status_code == 200
    assert "come from the company" in response.content.decode()
    assert list(alice.groups.values_list("name", flat=True)) == ["HR"]
