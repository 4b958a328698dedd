"""Guessing a password: after the configured failures the account is locked for that address."""

from __future__ import annotations

from django.conf import settings

from tests.conftest import PASSWORD


def sign_in(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_after_too_many_failures_even_the_right_password_is_refused(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong guess")

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_another_person_can_still_sign_in(client, alice, bob):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice", "wrong guess")

    response = sign_in(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == bob


def test_failures_below_the_limit_do_not_lock_the_account(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice", "wrong guess")

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 302
