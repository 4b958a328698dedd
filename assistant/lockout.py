"""Sign-in lockout (django-axes): which address a failed sign-in is counted against."""

from __future__ import annotations

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The peer address of the request, as the ASGI server reports it.

    uvicorn puts the client's address from X-Forwarded-For there only for requests from the
    trusted proxy (--forwarded-allow-ips); reading the header here would let anyone pick the
    address their failures count against, and so dodge the lockout.
    """
    return request.META.get("REMOTE_ADDR")


def not_a_password_attempt(request: HttpRequest, credentials: dict[str, object] | None) -> bool:
    """True (exempt from lockouts) for sign-ins that carry no username: single sign-on.

    A single sign-on callback is one use of a single-use code the provider issued, guarded by the
    provider's own lockouts; counting its refusals against (no username, address) would let five
    bad callbacks lock everyone behind an office's address out of single sign-on.
    """
    return not (credentials or {}).get("username")
