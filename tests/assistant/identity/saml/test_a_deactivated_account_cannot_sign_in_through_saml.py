"""A deactivated account stays out, even with a valid answer from the provider.

Reactivation is the directory's decision (SCIM) or staff's; a sign-in never reactivates anyone, and
the refused sign-in does not give the account its groups back.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assistant.identity.models import IdentityEvent, Source
from assistant.identity.services import account_deactivate, account_groups_set
from tests.assistant.identity.saml.conftest import (
    group_names,
    shown,
    sign_in_through_idp,
    signed_in_user,
)


def test_ivan_is_refused_and_stays_deactivated_without_groups(client, idp, db):
    ivan = User.objects.create_user("ivan", "ivan@example.com")
    account_groups_set(user=ivan, names=["HR"], source=Source.SAML)
    account_deactivate(user=ivan, source=Source.SCIM)

    page = sign_in_through_idp(client, idp, email="ivan@example.com", groups=["HR"])

    assert signed_in_user(page) is None
    assert "Single sign-on refused: this account has been deactivated." in shown(page)
    ivan.refresh_from_db()
    assert not ivan.is_active
    assert group_names(ivan) == set()
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.user_id, refused.source, refused.detail) == (
        ivan.pk,
        Source.SAML,
        {"reason": "account deactivated"},
    )
