"""Gina's ID token is wrong in one way at a time; each sign-in is refused and changes nothing.

The provider issues the token, then a hook on the provider rewrites it before it leaves: re-signed
with the provider's own key (wrong issuer, audience, nonce, or expired), or with its claims changed
under the original signature (tampered). Gina's claim now says HR; her account stays in Engineering.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from assistant.identity.services import account_groups_set
from tests.assistant.identity.oidc.conftest import sign_in_through_provider, signed_in_user


def resigned(**changes: Any) -> Any:
    """A rewrite that changes claims and signs again with the provider's own key."""

    def rewrite(token: str, key: Any) -> str:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        claims.update(changes)
        extra = {"kid": header["kid"]} if "kid" in header else None
        return jwt.encode(claims, key, algorithm=header["alg"], headers=extra)

    return rewrite


def expired(token: str, key: Any) -> str:
    now = int(time.time())
    return resigned(iat=now - 7200, exp=now - 3600)(token, key)


def tampered(token: str, key: Any) -> str:
    """Claims changed after signing: the provider's signature no longer covers them."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = ["HR", "Engineering", "Admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


BAD_TOKENS = {
    "wrong issuer": (resigned(iss="https://login.example.net"), "another identity provider"),
    "wrong audience": (resigned(aud="another-application"), "issued for another application"),
    "wrong nonce": (resigned(nonce="not-the-nonce-of-this-sign-in"), "does not belong"),
    "expired token": (expired, "has expired"),
    "bad signature": (tampered, "not signed by the identity provider"),
}


@pytest.fixture
def gina(db: None) -> User:
    user = User.objects.create_user("gina", "gina@example.com")
    account_groups_set(user=user, names=["Engineering"], source=Source.OIDC)
    return user


@pytest.mark.parametrize("reason", list(BAD_TOKENS))
def test_a_bad_id_token_is_refused_and_changes_nothing(client, provider, gina, reason):
    rewrite, explanation = BAD_TOKENS[reason]
    provider.person("gina-0001", email="gina@example.com", given_name="Regina", groups=["HR"])
    before = IdentityEvent.objects.count()
    provider.rewrite = rewrite

    page = sign_in_through_provider(client, "gina-0001")

    assert provider.rewrite is None, "the provider never issued a token"
    assert signed_in_user(page) is None
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    shown = page.content.decode()
    assert "Single sign-on refused" in shown and explanation in shown
    gina.refresh_from_db()
    assert set(gina.groups.values_list("name", flat=True)) == {"Engineering"}
    assert gina.first_name == ""
    assert DirectoryAccount.objects.get(user=gina).last_sign_in_at is None
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.source, refused.detail) == (Source.OIDC, {"reason": reason})
    assert IdentityEvent.objects.count() == before + 1


def test_the_same_flow_without_a_rewrite_signs_gina_in(client, provider, gina):
    # Control: the refusals above come from the rewrites, not from Gina or the flow.
    provider.person("gina-0001", email="gina@example.com", given_name="Regina", groups=["HR"])

    page = sign_in_through_provider(client, "gina-0001")

    assert signed_in_user(page) == gina
    assert set(gina.groups.values_list("name", flat=True)) == {"HR"}
