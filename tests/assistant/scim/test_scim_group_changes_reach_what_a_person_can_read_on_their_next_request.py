"""Group membership written through SCIM is what retrieval reads on the person's next request.

Creating a group with Charlie in it, adding Bob, removing Charlie the way Okta does and Bob the
way Entra ID does, and deleting the group: after each request, `principals_for` (the principal
set every search filters on) already follows, and each person whose groups changed is logged.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, DirectoryGroup, IdentityEvent
from retrieval.access import group_principal, principals_for
from tests.assistant.scim.conftest import group_body

pytestmark = pytest.mark.django_db


def reads_as(user: User) -> set[str]:
    # A fresh instance, as the next request would load it.
    return set(principals_for(User.objects.get(pk=user.pk)))


def logged(user: User) -> list[dict]:
    return list(
        IdentityEvent.objects.filter(user_id=user.pk, kind="groups_changed")
        .order_by("id")
        .values_list("detail", flat=True)
    )


def test_membership_changes_take_effect_on_the_next_request(scim, bob, charlie):
    created = scim.post("Groups", group_body("Legal", charlie.pk, externalId="grp-legal"))
    assert created.status_code == 201
    legal = created.json()["id"]
    principal = group_principal(int(legal))
    assert principal in reads_as(charlie)
    assert principal not in reads_as(bob)
    assert DirectoryGroup.objects.get(group_id=legal).external_id == "grp-legal"
    assert DirectoryAccount.objects.filter(user=charlie, source="scim").exists()

    added = scim.patch(
        f"Groups/{legal}", {"op": "add", "path": "members", "value": [{"value": str(bob.pk)}]}
    )
    assert added.status_code == 200
    assert principal in reads_as(bob)
    # Bob's groups now come from the directory, like Charlie's.
    assert DirectoryAccount.objects.filter(user=bob).exists()
    (membership,) = scim.get(f"Users/{bob.pk}").json()["groups"]
    assert (membership["value"], membership["display"]) == (legal, "Legal")
    assert membership["$ref"].endswith(f"/scim/v2/Groups/{legal}")

    okta = scim.patch(
        f"Groups/{legal}", {"op": "remove", "path": f'members[value eq "{charlie.pk}"]'}
    )
    assert okta.status_code == 200
    assert principal not in reads_as(charlie)
    assert principal in reads_as(bob)

    entra = scim.patch(
        f"Groups/{legal}", {"op": "Remove", "path": "members", "value": [{"value": str(bob.pk)}]}
    )
    assert entra.status_code == 200
    assert principal not in reads_as(bob)
    assert "members" not in entra.json()

    scim.patch(
        f"Groups/{legal}", {"op": "add", "path": "members", "value": [{"value": str(bob.pk)}]}
    )
    assert scim.delete(f"Groups/{legal}").status_code == 204
    assert principal not in reads_as(bob)
    assert scim.get(f"Groups/{legal}").status_code == 404

    assert logged(charlie) == [
        {"added": ["Legal"], "removed": []},
        {"added": [], "removed": ["Legal"]},
    ]
    assert logged(bob) == [
        {"added": ["Legal"], "removed": []},
        {"added": [], "removed": ["Legal"]},
        {"added": ["Legal"], "removed": []},
        {"added": [], "removed": ["Legal"]},
    ]
