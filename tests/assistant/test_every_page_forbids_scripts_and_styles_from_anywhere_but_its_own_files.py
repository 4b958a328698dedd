"""Every page sends a Content-Security-Policy that allows only the site's own scripts and styles,
and no page relies on inline code that the policy would block."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

PAGES = ["/accounts/login/", "/", "/documents/", "/django-admin/", "/people/"]


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.mark.parametrize("path", PAGES)
def test_a_page_allows_only_its_own_origin_and_holds_no_inline_code(client, carol, path):
    if path != "/accounts/login/":
        client.force_login(carol)

    response = client.get(path)

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    # A nonce follows 'self' only when something on the page used it (the SAML POST-binding form).
    assert policy["script-src"][0] == "'self'"
    assert all(word.startswith("'nonce-") for word in policy["script-src"][1:])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in word for words in policy.values() for word in words)
    page = BeautifulSoup(response.content, "html.parser")
    # What the policy would block: inline scripts without the nonce, style blocks and attributes,
    # and event-handler attributes.
    nonces = {word[len("'nonce-") : -1] for word in policy["script-src"][1:]}
    for script in page.find_all("script"):
        assert (
            script.get("src")
            or script.get("type") == "application/json"
            or script.get("nonce") in nonces
        ), str(script)[:200]
    assert page.find_all("style") == []
    for element in page.find_all(True):
        assert "style" not in element.attrs, str(element)[:200]
        assert not [name for name in element.attrs if name.startswith("on")], str(element)[:200]
