"""Jo left the company: the provider still vouches for her, but her deactivated account stays shut.

A sign-in never reactivates an account (that is the directory's or staff's decision), and a
session she still holds is not honoured either.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from assistant.identity.services import account_deactivate, account_groups_set
from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user


def test_a_deactivated_account_is_refused_and_stays_deactivated(client, db, provider):
    provider.person("jo-0001", email="jo@example.com", groups=["HR"])
    jo = signed_in_user(sign_in_through_provider(client, "jo-0001"))
    assert jo is not None and set(jo.groups.values_list("name", flat=True)) == {"HR"}
    signed_in_at = DirectoryAccount.objects.get(user=jo).last_sign_in_at

    account_deactivate(user=jo, source=Source.SCIM)
    # Her earlier session no longer signs her in.
    assert client.get("/").status_code == 302

    page = sign_in_through_provider(client, "jo-0001")

    assert signed_in_user(page) is None
    assert "this account has been deactivated" in page.content.decode()
    jo = User.objects.get(pk=jo.pk)
    assert not jo.is_active
    assert not jo.groups.exists()
    assert DirectoryAccount.objects.get(user=jo).last_sign_in_at == signed_in_at
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.user_id, refused.detail) == (jo.pk, {"reason": "account deactivated"})


def test_the_backend_finds_no_user_for_a_deactivated_account(db):
    from assistant.identity.oidc import DirectoryOIDCBackend

    kim = User.objects.create_user("kim", "kim@example.com")
    account_groups_set(user=kim, names=["HR"], source=Source.OIDC)
    assert DirectoryOIDCBackend().get_user(kim.pk) == kim

    account_deactivate(user=kim, source=Source.OIDC)

    assert DirectoryOIDCBackend().get_user(kim.pk) is None
