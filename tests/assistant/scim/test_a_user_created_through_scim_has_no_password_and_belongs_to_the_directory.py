"""POST /Users creates an account the directory manages, which signs in only through it.

It has no usable password, its externalId is kept, its creation is logged, and a second account
whose userName differs only in case is refused with 409 uniqueness.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent
from tests.assistant.scim.conftest import assert_scim_error, user_body

pytestmark = pytest.mark.django_db


def test_creating_an_account(scim):
    response = scim.post(
        "Users",
        user_body(
            "Dana@Corp.example",
            externalId="00uDANA",
            name={"givenName": "Dana", "familyName": "Scully"},
            emails=[{"value": "dana@corp.example", "type": "work", "primary": True}],
            password="the directory's, not ours",
        ),
    )

    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert response["Location"] == body["meta"]["location"]
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["userName"] == "Dana@Corp.example"
    assert body["active"] is True
    assert "password" not in body
    dana = User.objects.get(pk=body["id"])
    assert not dana.has_usable_password()
    assert dana.email == "dana@corp.example"
    account = DirectoryAccount.objects.get(user=dana)
    assert (account.source, account.external_id) == ("scim", "00uDANA")
    assert account.last_provisioned_at is not None
    assert IdentityEvent.objects.get(user_id=dana.pk).kind == "created"
    assert scim.get(f"Users/{dana.pk}").json() == body

    again = scim.post("Users", user_body("dana@corp.EXAMPLE"))
    assert_scim_error(again, 409, "uniqueness")
    assert User.objects.filter(username__iexact="dana@corp.example").count() == 1


def test_an_account_created_inactive_is_deactivated_at_once(scim):
    response = scim.post("Users", user_body("eve@corp.example", active=False))

    assert response.status_code == 201
    assert response.json()["active"] is False
    eve = User.objects.get(username="eve@corp.example")
    assert not eve.is_active
    kinds = IdentityEvent.objects.filter(user_id=eve.pk).values_list("kind", flat=True)
    assert sorted(kinds) == ["created", "deactivated"]
