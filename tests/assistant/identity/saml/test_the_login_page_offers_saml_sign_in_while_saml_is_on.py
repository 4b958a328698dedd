from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_the_link_is_there_while_saml_is_on_and_gone_while_it_is_off(client, settings):
    settings.OIDC_ENABLED = False
    page = client.get("/accounts/login/?next=/documents/").content.decode()

    assert 'id="sso-saml"' in page
    assert 'href="/saml/login/?next=/documents/"' in page
    assert "or with a local account" in page

    settings.SAML_ENABLED = False
    assert 'id="sso-saml"' not in client.get("/accounts/login/").content.decode()
