"""Refused SAML sign-ins are not failed password attempts: they never trigger the login lockout.

Six people behind the office's one address are refused (their provider sends no groups); the
seventh, and a password sign-in from the same address, still get in.
"""

from __future__ import annotations

from django.test import Client

from tests.assistant.identity.saml.conftest import sign_in_through_idp, signed_in_user
from tests.conftest import PASSWORD


def test_after_more_refusals_than_the_lockout_limit_people_still_sign_in(idp, alice, settings):
    for n in range(settings.AXES_FAILURE_LIMIT + 1):
        refused = sign_in_through_idp(Client(), idp, email=f"temp{n}@example.com", groups=None)
        assert signed_in_user(refused) is None

    assert (
        signed_in_user(sign_in_through_idp(Client(), idp, email="alice@example.com", groups=["HR"]))
        == alice
    )
    password = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert password.status_code == 302
