"""SAML_EMAIL_ATTRIBUTE and SAML_GROUPS_ATTRIBUTE name an attribute as the provider sends it.

Providers send well-known attributes under a URN with a FriendlyName (mail is
urn:oid:0.9.2342.19200300.100.1.3); either name finds it, as the provider's own documentation
writes it.
"""

from __future__ import annotations

import pytest

from tests.assistant.identity.saml.conftest import (
    group_names,
    post_answer,
    shown,
    signed_in_user,
    start_sign_in,
)

MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
ATTRIBUTES = {"mail": ["alice@example.com"], "groups": ["Engineering"]}


@pytest.mark.parametrize("setting", ["mail", MAIL])
def test_the_email_attribute_is_found_by_either_name(client, idp, alice, settings, setting):
    settings.SAML_EMAIL_ATTRIBUTE = setting
    request = start_sign_in(client, idp)
    answer = idp.answer(request, email=None, groups=None, attributes=ATTRIBUTES)
    assert f'Name="{MAIL}"' in answer and 'FriendlyName="mail"' in answer

    page = post_answer(client, answer, request)

    assert signed_in_user(page) == alice
    assert group_names(alice) == {"Engineering"}


def test_a_name_the_provider_does_not_send_finds_no_email(client, idp, alice, settings):
    # Control: the setting decides.
    settings.SAML_EMAIL_ATTRIBUTE = "email"
    request = start_sign_in(client, idp)

    page = post_answer(
        client, idp.answer(request, email=None, groups=None, attributes=ATTRIBUTES), request
    )

    assert signed_in_user(page) is None
    assert "the identity provider sent no email address for you (the “email” attribute)" in shown(
        page
    )
    assert group_names(alice) == {"HR"}
