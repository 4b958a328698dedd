"""The SCIM bearer token: one secret (SCIM_TOKEN) that only the /scim/v2/ endpoints accept.

It is not an API token and opens no session: the product's API and pages never look at it, and
these endpoints never look at API tokens or sessions.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest


def scim_enabled() -> bool:
    """SCIM is on when the server was started with a SCIM_TOKEN."""
    return bool(getattr(settings, "SCIM_TOKEN", ""))


def scim_token_valid(request: HttpRequest) -> bool:
    """Whether the request carries `Authorization: Bearer <SCIM_TOKEN>`."""
    expected = getattr(settings, "SCIM_TOKEN", "")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    # Compared in constant time, so response timing does not reveal how much of a guess matched.
    return hmac.compare_digest(token.strip().encode(), expected.encode())
