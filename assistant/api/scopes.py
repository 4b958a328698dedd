"""What an API token may do: its scopes, and the scopes tokens made before scopes existed get."""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    """One area of the API a token may use."""

    CHAT = "chat", "Chat: chat completions, models and moderations (/v1)"
    DOCUMENTS = "documents", "Documents: manage documents (/api/documents); staff only"


# Scopes that count only while the token's user is staff; checked on every request, not at creation
# only, so taking someone's staff flag away takes these scopes from all their tokens at once.
STAFF_SCOPES = frozenset({Scope.DOCUMENTS.value})


def default_scopes(*, is_staff: bool) -> list[str]:
    """The scopes of a token whose creator chose none: what every token could do before scopes."""
    if is_staff:
        return [Scope.CHAT.value, Scope.DOCUMENTS.value]
    return [Scope.CHAT.value]


def scopes_text(scopes: list[str]) -> str:
    """Scopes as people read them: `chat`, `chat and documents`."""
    return " and ".join(sorted(scopes)) or "none"
