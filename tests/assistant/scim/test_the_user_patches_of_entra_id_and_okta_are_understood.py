"""The PATCH requests Microsoft Entra ID and Okta really send change accounts as they mean to.

Entra ID capitalises `op`, sends booleans as strings, deactivates with a path-less replace, and
sends attributes the product does not keep (a manager as a bare id, a job title); Okta
deactivates and reactivates with a path-less replace carrying the id.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent
from tests.assistant.scim.conftest import user_body

pytestmark = pytest.mark.django_db

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def events(user_id: int) -> list[str]:
    return list(
        IdentityEvent.objects.filter(user_id=user_id).order_by("id").values_list("kind", flat=True)
    )


def test_entra_updates_and_deactivation(scim):
    created = scim.post("Users", user_body("dana@corp.example", externalId="e-1", active=True))
    dana = created.json()["id"]

    updated = scim.patch(
        f"Users/{dana}",
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "dana@corp.example"},
        {"op": "Replace", "path": "name.givenName", "value": "Dana"},
        {"op": "Add", "path": "name.familyName", "value": "Scully"},
        {"op": "Add", "path": "title", "value": "Agent"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "2819c223-7f76-453a"},
        {"op": "Replace", "path": "externalId", "value": "e-2"},
    )

    assert updated.status_code == 200, updated.content
    body = updated.json()
    assert body["emails"] == [{"value": "dana@corp.example", "type": "work"}]
    assert body["name"] == {"givenName": "Dana", "familyName": "Scully"}
    assert "title" not in body
    account = User.objects.get(pk=dana)
    assert (account.email, account.first_name, account.last_name) == (
        "dana@corp.example",
        "Dana",
        "Scully",
    )
    assert DirectoryAccount.objects.get(user=account).external_id == "e-2"

    # Only attributes the product does not keep: accepted, nothing written, nothing logged.
    ignored = scim.patch(
        f"Users/{dana}", {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "someone"}
    )
    assert ignored.status_code == 200
    assert events(int(dana)) == ["created", "updated"]

    deactivated = scim.patch(f"Users/{dana}", {"op": "Replace", "value": {"active": "False"}})
    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False
    assert not User.objects.get(pk=dana).is_active
    assert events(int(dana)) == ["created", "updated", "updated", "deactivated"]


def test_okta_deactivation_and_reactivation(scim, alice):
    off = scim.patch(
        f"Users/{alice.pk}", {"op": "replace", "value": {"id": str(alice.pk), "active": False}}
    )
    assert off.status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active
    assert not alice.has_usable_password()

    on = scim.patch(
        f"Users/{alice.pk}", {"op": "replace", "value": {"id": str(alice.pk), "active": True}}
    )
    assert on.status_code == 200
    assert on.json()["active"] is True
    alice.refresh_from_db()
    assert alice.is_active
    assert events(alice.pk) == ["updated", "deactivated", "updated", "reactivated"]


def test_okta_replaces_the_whole_user_with_put(scim, alice):
    replaced = scim.put(
        f"Users/{alice.pk}",
        user_body(
            "alice.liddell@example.com",
            id=str(alice.pk),
            externalId="00uALICE",
            name={"givenName": "Alice", "familyName": "Liddell"},
            emails=[
                {"value": "alice@home.example", "type": "home"},
                {"value": "alice.liddell@example.com", "type": "work", "primary": True},
            ],
            displayName="Alice Liddell",
            groups=[],
            active=True,
        ),
    )

    assert replaced.status_code == 200, replaced.content
    alice.refresh_from_db()
    assert alice.username == "alice.liddell@example.com"
    assert alice.email == "alice.liddell@example.com"
    assert alice.get_full_name() == "Alice Liddell"
    # A PUT replaces: the name left out of the next one is cleared.
    scim.put(f"Users/{alice.pk}", user_body("alice.liddell@example.com", active=True))
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.email) == ("", "", "")
    assert alice.is_active
