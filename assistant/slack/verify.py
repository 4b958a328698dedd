"""Checking that a request really comes from Slack: HMAC-SHA256 of the raw body, fresh timestamp."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from slack_sdk.signature import Clock, SignatureVerifier

# Slack's own limit; older requests are treated as replays.
MAX_AGE_SECONDS = 300


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def request_is_from_slack(request: HttpRequest, *, now: Callable[[], float] = time.time) -> bool:
    """Whether the request carries a valid signature, made less than five minutes ago."""
    secret = settings.SLACK_SIGNING_SECRET
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    signature = request.headers.get("X-Slack-Signature")
    if not secret or not timestamp or not signature:
        return False
    try:
        if abs(now() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        # The signature covers the bytes as sent; parsing and re-serialising would change them.
        body = request.body.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    # slack_sdk compares with hmac.compare_digest, so timing reveals nothing about the secret.
    verifier = SignatureVerifier(secret, clock=_Clock(now))
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
