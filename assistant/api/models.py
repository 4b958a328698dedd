"""API tokens: only their sha256 is stored, so a database leak does not leak working tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from assistant.api.scopes import Scope


def chat_scope() -> list[str]:
    """The scopes of a new token unless chosen otherwise: chat only."""
    return [Scope.CHAT.value]


class ApiToken(models.Model):
    """A personal bearer token; the API acts as its user, with exactly that user's access."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the token, shown in the settings page so people can tell tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = ArrayField(models.CharField(max_length=20, choices=Scope.choices), default=chat_scope)
    # None: the token never expires.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None

    @property
    def is_expired(self) -> bool:
        """True from its expiry on."""
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """What the settings page says about it: active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired else "active"
