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
