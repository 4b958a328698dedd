"""Without a usable group claim nobody is signed in: guessing groups would grant or drop access.

Hank is in Engineering. When the provider sends no "groups" claim, or one that is not a list of
names, his sign-in is refused with a message saying what to fix; his groups and name stay.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from assistant.identity.services import account_groups_set
from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user

MISSING = object()
CLAIMS: dict[str, tuple[Any, str]] = {
    "missing": (MISSING, "groups claim missing"),
    "a string": ("HR", "groups claim malformed"),
    "numbers": ([1, 2], "groups claim malformed"),
    "a null among names": (["HR", None], "groups claim malformed"),
    "an object": ({"HR": True}, "groups claim malformed"),
}


def claims(groups: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"email": "hank@example.com", "given_name": "Henry"}
    return base if groups is MISSING else {**base, "groups": groups}


@pytest.mark.parametrize("kind", list(CLAIMS))
def test_a_bad_group_claim_is_refused_and_changes_nothing(client, db, provider, kind):
    groups, reason = CLAIMS[kind]
    hank = User.objects.create_user("hank", "hank@example.com")
    account_groups_set(user=hank, names=["Engineering"], source=Source.OIDC)
    provider.person("hank-0001", **claims(groups))

    page = sign_in_through_provider(client, "hank-0001")

    assert signed_in_user(page) is None
    shown = page.content.decode()
    assert "Single sign-on refused" in shown and "“groups” claim" in shown
    hank.refresh_from_db()
    assert set(hank.groups.values_list("name", flat=True)) == {"Engineering"}
    assert hank.first_name == ""
    assert DirectoryAccount.objects.get(user=hank).last_sign_in_at is None
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.user_id, refused.detail) == (hank.pk, {"reason": reason})


def test_a_first_sign_in_without_a_group_claim_creates_no_account(client, db, provider):
    provider.person("ivy-0001", email="ivy@example.com")

    page = sign_in_through_provider(client, "ivy-0001")

    assert signed_in_user(page) is None
    assert "Ask your administrator to add it" in page.content.decode()
    assert not User.objects.filter(email="ivy@example.com").exists()


def test_an_empty_group_list_is_a_valid_claim(client, db, provider):
    # Control: "in no group" is an answer, and the refusals above are about the claim's shape.
    provider.person("ivy-0002", email="ivy@example.com", groups=[])

    ivy = signed_in_user(sign_in_through_provider(client, "ivy-0002"))

    assert ivy is not None and not ivy.groups.exists()
