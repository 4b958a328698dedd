"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from assistant.api.models import ApiToken
from assistant.api.scopes import STAFF_SCOPES, Scope, default_scopes, scopes_text

TOKEN_PREFIX = "eat_"  # noqa: S105 (a marker that tells tokens apart, not a secret)
VISIBLE_CHARS = 12
# Writing last_used_at on every request would turn each API call into a write; a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenScopeError(ValueError):
    """The scopes asked for a new token are unknown or not allowed for its user."""


def api_token_create(
    *,
    user: Any,
    name: str,
    scopes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw token is returned once and never stored.

    Without `scopes` the token gets what tokens had before scopes existed (see `default_scopes`).
    """
    chosen = default_scopes(is_staff=user.is_staff) if scopes is None else sorted(set(scopes))
    if not chosen:
        raise TokenScopeError("Choose at least one scope.")
    unknown = set(chosen) - set(Scope.values)
    if unknown:
        raise TokenScopeError(f"Unknown scope(s): {', '.join(sorted(unknown))}.")
    staff_only = sorted(STAFF_SCOPES & set(chosen))
    if staff_only and not user.is_staff:
        raise TokenScopeError(
            f"Only staff can create tokens with the {scopes_text(staff_only)} scope."
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        prefix=raw[:VISIBLE_CHARS],
        token_hash=token_hash(raw),
        scopes=chosen,
        expires_at=expires_at,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke a token for good; requests with it get 401 from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_find(raw: str) -> ApiToken | None:
    """The token behind a raw token, with its user, or None for unknown, revoked or inactive-user
    tokens. Expired tokens are returned: the caller says why they are refused."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def api_token_touch(token: ApiToken) -> None:
    """Record that `token` was just used (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def token_has_scope(token: ApiToken, scope: str) -> bool:
    """Whether `token` may use `scope` now: staff-only scopes count only while its user is staff."""
    if scope not in token.scopes:
        return False
    return scope not in STAFF_SCOPES or bool(token.user.is_staff)


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    """A user's tokens, newest first, revoked ones included."""
    return ApiToken.objects.filter(user=user)
