"""Once the company signs everyone in through its provider, no password opens the assistant.

With LOCAL_PASSWORDS off the login page offers single sign-on only, and Alice's correct password is
refused with a message that says where to sign in instead, on the login page and in the Django
admin's own login alike.
"""

from __future__ import annotations

import pytest

from assistant.identity.oidc import PASSWORDS_OFF
from tests.conftest import PASSWORD


@pytest.fixture
def passwords_off(settings):
    # As the settings module computes it for ASSISTANT_LOCAL_PASSWORDS=0.
    settings.LOCAL_PASSWORDS = False
    settings.AUTHENTICATION_BACKENDS = [
        b for b in settings.AUTHENTICATION_BACKENDS if not b.endswith(".ModelBackend")
    ]


def test_the_login_page_offers_both_while_local_passwords_are_on(client, db):
    page = client.get("/accounts/login/").content.decode()

    assert 'name="password"' in page
    assert "Sign in with single sign-on" in page
    assert 'href="/oidc/authenticate/' in page


def test_the_password_form_is_gone_and_single_sign_on_remains(client, db, passwords_off):
    page = client.get("/accounts/login/?next=/conversations/1/").content.decode()

    assert 'name="password"' not in page
    assert "Sign in with single sign-on" in page
    assert 'href="/oidc/authenticate/?next=/conversations/1/"' in page


def test_a_correct_password_is_refused_with_a_clear_message(client, alice, passwords_off):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert PASSWORDS_OFF in response.content.decode()
    assert not response.context["user"].is_authenticated
    assert client.get("/").status_code == 302


def test_the_admin_login_refuses_a_correct_password_too(client, carol, passwords_off):
    client.post("/django-admin/login/", {"username": "carol", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert client.get("/django-admin/").status_code == 302
