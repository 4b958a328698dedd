"""A signed answer the provider issued for another application, or to another address, is refused.

Gina is in Engineering; the answers say HR. The provider signs each one properly: only its audience
(the service it is meant for) or its destination (where it is to be posted) is not ours.
"""

from __future__ import annotations

import pytest
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

ELSEWHERE = {
    "wrong audience": (
        {"terms": Terms(audience="https://wiki.example.test/saml/metadata/")},
        "the sign-in was issued for another application.",
    ),
    "wrong destination": (
        {"destination": "https://wiki.example.test/saml/acs/"},
        "the sign-in was sent to another address than this assistant's.",
    ),
}


@pytest.fixture
def gina(db: None) -> User:
    user = User.objects.create_user("gina", "gina@example.com")
    account_groups_set(user=user, names=["Engineering"], source=Source.SAML)
    return user


@pytest.mark.parametrize("reason", list(ELSEWHERE))
def test_the_answer_is_refused_and_gina_keeps_her_groups(client, idp, gina, reason):
    answer, explanation = ELSEWHERE[reason]
    before = IdentityEvent.objects.count()

    page = sign_in_through_idp(client, idp, email="gina@example.com", groups=["HR"], **answer)

    assert signed_in_user(page) is None
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert f"Single sign-on refused: {explanation}" in shown(page)
    assert group_names(gina) == {"Engineering"}
    refused = IdentityEvent.objects.get(kind=IdentityEvent.Kind.REFUSED)
    assert (refused.source, refused.detail) == (Source.SAML, {"reason": reason})
    assert IdentityEvent.objects.count() == before + 1


def test_the_same_answer_for_this_service_signs_gina_in(client, idp, gina):
    page = sign_in_through_idp(client, idp, email="gina@example.com", groups=["HR"], terms=Terms())

    assert signed_in_user(page) == gina
    assert group_names(gina) == {"HR"}
