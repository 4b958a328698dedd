"""Mona opens the assistant in a browser, picks single sign-on, and is asking questions.

Headless Chromium against the real web process, which reads its OIDC settings from its environment
and talks to the provider over loopback itself.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.assistant.identity.oidc.conftest import ISSUER

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_single_sign_on_in_a_browser_lands_on_the_chat_signed_in(
    web_server, provider, browser_page
):
    provider.person("mona-0001", email="mona@example.com", email_verified=True, groups=["HR"])
    page = browser_page

    page.goto("/")
    assert page.url.startswith(f"{web_server}/accounts/login/")
    page.click("a#sso")
    page.wait_for_url(f"{ISSUER}/oauth2/authorize?**")
    page.fill("input[name=sub]", "mona-0001")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_selector("textarea#question")

    assert page.url == f"{web_server}/"
    assert page.locator(".topbar .who").text_content() == "mona"
    mona = User.objects.get(email="mona@example.com")
    assert set(mona.groups.values_list("name", flat=True)) == {"HR"}
