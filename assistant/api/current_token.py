"""GET /api/tokens/current: what the calling token is and may do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from assistant.api.auth import any_token_auth, request_token

router = Router(auth=any_token_auth, tags=["Tokens"])


class TokenOut(Schema):
    name: str
    prefix: str = Field(..., description="The first characters of the token.")
    scopes: list[str] = Field(
        ..., description="`chat` (/v1), `documents` (manage /api/documents; staff only)."
    )
    expires_at: datetime | None = Field(..., description="None: the token never expires.")


@router.get("/current", response=TokenOut)
def tokens_current(request: HttpRequest) -> dict[str, Any]:
    """The token this request is made with: its name, prefix, scopes and expiry."""
    token = request_token(request)
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "expires_at": token.expires_at,
    }
