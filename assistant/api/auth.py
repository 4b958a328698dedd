"""Bearer-token authentication for the API (no session, hence no CSRF), with the token's scope.

Every endpoint names the scope it needs through the auth object it uses (`chat_auth`,
`documents_auth`...); the expiry and scope checks happen here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from assistant.api.errors import ApiError
from assistant.api.models import ApiToken
from assistant.api.scopes import STAFF_SCOPES, Scope, scopes_text
from assistant.api.tokens import api_token_find, api_token_touch, token_has_scope


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with one of `scopes` (any valid token when none are named);
    the request then acts as the token's user."""

    def __init__(self, *scopes: str, area: str = "") -> None:
        super().__init__()
        unknown = set(scopes) - set(Scope.values)
        if unknown:
            raise ValueError(f"Unknown scope(s): {', '.join(sorted(unknown))}.")
        self.scopes = tuple(str(scope) for scope in scopes)
        # How errors name the endpoints this guards ("documents needs scope documents").
        self.area = area or " or ".join(scopes)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        """The token, or None (answered with 401); an expired token or a missing scope raises."""
        found = api_token_find(token.strip())
        if found is None:
            return None
        if found.expires_at is not None and found.is_expired:
            expired_on = found.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            raise ApiError(f"This token expired on {expired_on}.", 401, code="token_expired")
        if self.scopes and not any(token_has_scope(found, scope) for scope in self.scopes):
            raise ApiError(
                _scope_message(found, self.scopes, self.area), 403, code="insufficient_scope"
            )
        api_token_touch(found)
        # Code downstream that reads request.user (logging, access helpers) sees the token's user.
        request.user = found.user
        return found


def _scope_message(token: ApiToken, needed: tuple[str, ...], area: str) -> str:
    held = [scope for scope in needed if scope in token.scopes]
    if held and set(held) <= STAFF_SCOPES:
        # The token has the scope, but its user lost the staff flag since it was made.
        return (
            f"The {scopes_text(held)} scope is for staff only, and this token's user is not staff."
        )
    wanted = " or ".join(needed)
    return f"This token has scope {scopes_text(token.scopes)}; {area} needs scope {wanted}."


# Any valid token, whatever its scope (for endpoints about the token itself).
any_token_auth = TokenAuth()
chat_auth = TokenAuth(Scope.CHAT, area="chat")
documents_auth = TokenAuth(Scope.DOCUMENTS, area="documents")
# Reading the documents one may read is part of chatting (which documents answers come from), and
# part of managing them.
documents_read_auth = TokenAuth(Scope.CHAT, Scope.DOCUMENTS, area="reading documents")


def request_token(request: HttpRequest) -> ApiToken:
    """The token that authenticated `request` (set by TokenAuth)."""
    return request.auth  # type: ignore[attr-defined, no-any-return]


def token_user(request: HttpRequest) -> Any:
    """The user of the token that authenticated `request` (set by TokenAuth)."""
    return request_token(request).user


def token_may_manage_documents(request: HttpRequest) -> bool:
    """Whether `request`'s token may manage documents now: documents scope and a staff user."""
    return token_has_scope(request_token(request), Scope.DOCUMENTS)
