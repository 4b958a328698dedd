"""The SCIM token is not an API token, and an API token is not the SCIM token.

Each is refused with 401 where the other belongs; the SCIM token opens no session either.
"""

from __future__ import annotations

import pytest
from django.test import Client

from assistant.api.tokens import api_token_create
from tests.assistant.scim.conftest import assert_scim_error

pytestmark = pytest.mark.django_db


def test_the_scim_token_gets_401_on_the_api_and_no_page(scim, alice):
    assert scim.get("Users").status_code == 200
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {scim.token}"}

    assert Client().get("/v1/models", **bearer).status_code == 401
    page = Client().get("/", **bearer)
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


def test_an_api_token_gets_401_on_scim(scim, carol):
    # Even a staff member's token with every scope.
    _, token = api_token_create(user=carol, name="admin")
    assert Client().get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    assert_scim_error(scim.get("Users", token=token), 401)
    assert_scim_error(scim.post("Users", {"userName": "x"}, token=token), 401)


def test_a_signed_in_staff_session_gets_401_on_scim(scim_on, carol):
    browser = Client()
    browser.force_login(carol)

    assert_scim_error(browser.get("/scim/v2/Users"), 401)
