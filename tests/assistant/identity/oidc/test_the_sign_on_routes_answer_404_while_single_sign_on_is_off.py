"""Without OIDC_ISSUER there is no single sign-on: its routes are missing, not half-working."""

from __future__ import annotations

from tests.assistant.identity.oidc.conftest import ISSUER


def test_both_routes_answer_404_and_the_login_page_offers_passwords_only(client, db, settings):
    settings.OIDC_ENABLED = False

    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=abc&state=def").status_code == 404
    page = client.get("/accounts/login/").content.decode()
    assert "single sign-on" not in page
    assert 'name="password"' in page


def test_both_routes_answer_while_it_is_on(client, db, provider):
    # Control: the same requests with single sign-on configured.
    assert client.get("/oidc/authenticate/")["Location"].startswith(f"{ISSUER}/oauth2/authorize?")
    # A callback this browser never started is turned away on the login page, explained.
    page = client.get("/oidc/callback/?code=abc&state=def", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/login/"
    assert "was not started in this browser" in page.content.decode()
