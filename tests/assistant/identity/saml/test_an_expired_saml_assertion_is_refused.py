"""An assertion whose validity window has passed is refused, though the provider signed it.

A captured answer must not sign anyone in later. Gina's expired answer says HR; she stays in
Engineering.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assistant.identity.models import IdentityEvent, Source
from assistant.identity.services import account_groups_set
from tests.assistant.identity.saml.conftest import (
    Terms,
    group_names,
    shown,
    sign_in_through_idp,
    signed_in_user,
)


def test_an_assertion_valid_until_an_hour_ago_is_refused(client, idp, db):
    gina = User.objects.create_user("gina", "gina@example.com")
    account_groups_set(user=gina, names=["Engineering"], source=Source.SAML)

    page = sign_in_through_idp(
        client, idp, email="gina@example.com", groups=["HR"], terms=Terms(valid_hours=(-2, -1))
    )

    assert signed_in_user(page) is None
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert "Single sign-on refused: the sign-in has expired. Start again from here." in shown(page)
    assert group_names(gina) == {"Engineering"}
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.source, refused.detail) == (Source.SAML, {"reason": "expired assertion"})


def test_an_assertion_valid_from_an_hour_ago_for_two_hours_signs_gina_in(client, idp, db):
    # Control: the same terms, shifted to include now.
    gina = User.objects.create_user("gina", "gina@example.com")

    page = sign_in_through_idp(
        client, idp, email="gina@example.com", groups=["HR"], terms=Terms(valid_hours=(-1, 1))
    )

    assert signed_in_user(page) == gina
    assert group_names(gina) == {"HR"}
