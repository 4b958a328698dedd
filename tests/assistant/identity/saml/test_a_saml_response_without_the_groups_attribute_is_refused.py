"""An answer without the groups attribute is refused, explained, and changes no account.

Without the attribute nobody can tell which groups the person is in now; keeping the old ones would
let someone who left HR keep reading HR documents. An empty list is an answer: no groups.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from tests.assistant.identity.saml.conftest import (
    group_names,
    shown,
    sign_in_through_idp,
    signed_in_user,
)

EXPLANATION = (
    "Single sign-on refused: the identity provider sent no list of your groups "
    "(the “groups” attribute). Ask your administrator to add it."
)


def test_alice_is_refused_and_stays_in_hr(client, idp, alice):
    page = sign_in_through_idp(client, idp, email="alice@example.com", groups=None)

    assert signed_in_user(page) is None
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert EXPLANATION in shown(page)
    assert group_names(alice) == {"HR"}
    assert not DirectoryAccount.objects.filter(user=alice).exists()
    refused = IdentityEvent.objects.get()
    assert (refused.kind, refused.user_id, refused.source, refused.detail) == (
        IdentityEvent.Kind.REFUSED,
        alice.pk,
        Source.SAML,
        {"reason": "groups attribute missing"},
    )


def test_a_newcomer_is_refused_and_no_account_is_created(client, idp, db):
    page = sign_in_through_idp(client, idp, email="henry@example.com", groups=None)

    assert signed_in_user(page) is None
    assert EXPLANATION in shown(page)
    assert not User.objects.filter(email="henry@example.com").exists()


def test_an_empty_list_signs_alice_in_without_groups(client, idp, alice):
    # Control: the refusal is for the missing attribute, not for an empty one.
    page = sign_in_through_idp(client, idp, email="alice@example.com", groups=[])

    assert signed_in_user(page) == alice
    assert group_names(alice) == set()
