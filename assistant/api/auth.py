"""Bearer-token authentication for the API (no session, hence no CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from assistant.api.tokens import api_token_user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        """The token's user, or None (answered with 401)."""
        user = api_token_user(token.strip())
        if user is not None:
            # Code downstream that reads request.user (logging, access helpers) sees the token's user.
            request.user = user
        return user


token_auth = TokenAuth()


def token_user(request: HttpRequest) -> Any:
    """The user of the token that authenticated `request` (set by TokenAuth)."""
    return request.auth  # type: ignore[attr-defined]
