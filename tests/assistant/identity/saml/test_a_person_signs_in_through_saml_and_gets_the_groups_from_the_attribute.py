"""Dana signs in through the company's SAML provider; her groups are the provider's groups attribute.

Her first sign-in creates her account (username from her email). When the directory takes her out
of HR, her next sign-in removes HR, and the retrieval principals (read on every query) follow.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.test import Client

from assistant.identity.models import DirectoryAccount, IdentityEvent, Source
from retrieval.access import group_principal, principals_for
from tests.assistant.identity.saml.conftest import group_names, sign_in_through_idp, signed_in_user


def test_her_groups_follow_the_attribute_on_each_sign_in(client, idp, groups):
    page = sign_in_through_idp(
        client, idp, email="Dana.Lee@example.com", groups=["HR", "Engineering"]
    )

    dana = signed_in_user(page)
    assert dana is not None
    assert page.redirect_chain[-1][0] == "/"
    assert (dana.username, dana.email) == ("dana.lee", "Dana.Lee@example.com")
    assert group_names(dana) == {"HR", "Engineering"}
    hr = Group.objects.get(name="HR")
    assert group_principal(hr.pk) in principals_for(dana)
    account = DirectoryAccount.objects.get(user=dana)
    assert account.source == Source.SAML
    assert account.last_sign_in_at is not None
    kinds = set(
        IdentityEvent.objects.filter(user_id=dana.pk, source=Source.SAML).values_list(
            "kind", flat=True
        )
    )
    assert {IdentityEvent.Kind.CREATED, IdentityEvent.Kind.SIGNED_IN} <= kinds

    # Another day, another browser (checking CSRF tokens, which the provider's form cannot carry):
    # the directory no longer lists her in HR.
    browser = Client(enforce_csrf_checks=True)
    page = sign_in_through_idp(browser, idp, email="dana.lee@example.com", groups=["Engineering"])

    assert signed_in_user(page) == dana
    dana = User.objects.get(pk=dana.pk)
    assert group_names(dana) == {"Engineering"}
    assert group_principal(hr.pk) not in principals_for(dana)
    change = IdentityEvent.objects.filter(
        user_id=dana.pk, kind=IdentityEvent.Kind.GROUPS_CHANGED
    ).first()
    assert change is not None
    assert (change.source, change.detail) == (Source.SAML, {"added": [], "removed": ["HR"]})
    assert User.objects.filter(email__iexact="dana.lee@example.com").count() == 1
