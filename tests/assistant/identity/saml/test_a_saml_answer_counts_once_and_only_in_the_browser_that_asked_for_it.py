"""A provider's answer signs in the browser that started that sign-in, once.

An answer replayed later, or carried to another browser (to sign its owner in as someone else), is
refused: the request it answers lives in the starting browser's SAML session and is used up.
"""

from __future__ import annotations

from django.test import Client

from assistant.identity.models import IdentityEvent
from tests.assistant.identity.saml.conftest import (
    post_answer,
    shown,
    signed_in_user,
    start_sign_in,
)

UNKNOWN = (
    "this sign-in was not started in this browser, or was already used. Start again from here."
)


def test_replaying_the_answer_is_refused(client, idp, alice):
    request = start_sign_in(client, idp)
    answer = idp.answer(request, email="alice@example.com", groups=["HR"])
    assert signed_in_user(post_answer(client, answer, request)) == alice
    client.logout()

    again = post_answer(client, answer, request)

    assert signed_in_user(again) is None
    assert f"Single sign-on refused: {UNKNOWN}" in shown(again)
    # Anyone can post an answer to a request they never made: kept out of the identity log.
    assert not IdentityEvent.objects.filter(kind=IdentityEvent.Kind.REFUSED).exists()


def test_another_browser_cannot_use_the_answer(client, idp, alice):
    request = start_sign_in(client, idp)
    answer = idp.answer(request, email="alice@example.com", groups=["HR"])

    elsewhere = post_answer(Client(), answer, request)

    assert signed_in_user(elsewhere) is None
    assert f"Single sign-on refused: {UNKNOWN}" in shown(elsewhere)
    # Control: the answer was good for the browser that asked.
    assert signed_in_user(post_answer(client, answer, request)) == alice
