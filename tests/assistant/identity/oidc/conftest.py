"""A real OpenID provider on loopback (oidc-provider-mock), and the sign-in flow walked by hand.

The web process reads OIDC_* from its environment when it starts, and any test of the run may start
it; so the provider's address is fixed here, at import (collection) time, handed to that process
through WEB_SERVER_ENV, and the provider listens on it for the whole run.

The provider is real: discovery, its authorization form, the token endpoint, JWKS and userinfo. To
hand out bad ID tokens, a hook on its own Flask app rewrites the next token response, re-signing
with the provider's own key where the token must stay validly signed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import WEB_SERVER_ENV, free_port

PROVIDER_PORT = free_port()
ISSUER = f"http://localhost:{PROVIDER_PORT}"
CLIENT_ID = "assistant"
CLIENT_SECRET = "test-client-secret-0b6c2f"
BACKEND = "assistant.identity.oidc.DirectoryOIDCBackend"

WEB_SERVER_ENV.update(
    OIDC_ISSUER=ISSUER, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET
)

# Takes the ID token the provider issued and its private key; returns the token to send instead.
Rewrite = Callable[[str, Any], str]


@dataclass
class Provider:
    """The running provider: people's claims, and a rewrite of the next ID token it issues."""

    issuer: str
    rewrite: Rewrite | None = None

    def person(self, sub: str, **claims: Any) -> None:
        """Set the claims the provider sends for `sub` (its `PUT /users/{sub}` API)."""
        import httpx

        response = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
        assert response.status_code == 204, response.text


def _rewrite_token_response(provider: Provider, response: Any) -> Any:
    import flask

    if flask.request.path != "/oauth2/token" or provider.rewrite is None:
        return response
    if response.status_code != 200:
        return response
    rewrite, provider.rewrite = provider.rewrite, None
    body = json.loads(response.get_data())
    key = flask.g.oidc_provider_mock_storage.jwk.get_private_key()
    body["id_token"] = rewrite(body["id_token"], key)
    response.set_data(json.dumps(body))
    return response


@pytest.fixture(scope="session")
def provider_server() -> Iterator[Provider]:
    """The OpenID provider on ISSUER for the whole run; it requires a nonce, as ours sends one."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(PROVIDER_PORT, require_nonce=True) as server:
        provider = Provider(ISSUER)
        # Registered before the provider's first request, as Flask requires.
        server.app.after_request(lambda response: _rewrite_token_response(provider, response))
        yield provider


@pytest.fixture(autouse=True)
def oidc_settings(settings: Any) -> None:
    """This process's settings as the web process computes them from WEB_SERVER_ENV."""
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_GROUP_MAP = {}
    settings.OIDC_IDENTITY_CLAIM = "email"
    settings.LOCAL_PASSWORDS = True
    if BACKEND not in settings.AUTHENTICATION_BACKENDS:
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]


@pytest.fixture
def provider(provider_server: Provider) -> Iterator[Provider]:
    """The running provider, with no rewrite left over from another test."""
    provider_server.rewrite = None
    yield provider_server
    provider_server.rewrite = None


def sign_in_through_provider(client: Any, sub: str, *, next_url: str = "") -> Any:
    """Start at our sign-on route, authorize `sub` on the provider's form, come back with the code.

    Returns our last response, redirects followed (the chat when signed in, else the login page).
    """
    import httpx

    start = client.get("/oidc/authenticate/" + (f"?next={quote(next_url)}" if next_url else ""))
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    assert authorize.startswith(f"{ISSUER}/oauth2/authorize?"), authorize
    form = httpx.get(authorize)
    assert form.status_code == 200 and 'name="sub"' in form.text, form.text
    answer = httpx.post(authorize, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/oidc/callback/", back
    return client.get(f"{back.path}?{back.query}", follow=True)


def signed_in_user(response: Any) -> Any:
    """The account the response's session is signed in as (fresh from the database), or None."""
    from django.contrib.auth import get_user_model

    user = response.context["user"] if response.context else None
    if user is None or not user.is_authenticated:
        return None
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def browser_page(
    web_server: str, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A headless Chromium page on the web server that may also visit the provider.

    Fails the test if a page errs. Requests anywhere else are refused: the provider's own page asks
    a CDN for its stylesheet, and nothing here leaves the machine.
    """
    from playwright.sync_api import sync_playwright

    from tests.assistant.chat.conftest import BROWSER_ARGS

    # Playwright's sync API keeps an event loop in this thread, which makes Django refuse ORM
    # calls; the test's own reads never run concurrently with it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        context = browser.new_context(base_url=web_server)
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith((web_server, ISSUER))
                else route.abort()
            ),
        )
        context.on(
            "page",
            lambda page: page.on("pageerror", lambda error: problems.append(f"{error}")),
        )
        context.set_default_timeout(30_000)
        yield context.new_page()
        context.close()
        browser.close()
    assert not problems, problems
