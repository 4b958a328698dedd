from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from assistant.api.models import ApiToken
from assistant.api.tokens import api_token_create

from .conftest import bearer


@pytest.mark.django_db
def test_an_expired_token_gets_401_saying_when_it_expired(client, alice):
    expired_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    raw = api_token_create(user=alice, name="old", expires_at=expired_at)[1]

    response = client.get("/v1/models", **bearer(raw))

    assert response.status_code == 401
    assert response.json()["error"] == {
        "message": "This token expired on 2026-03-01 09:30 UTC.",
        "type": "invalid_request_error",
        "param": None,
        "code": "token_expired",
    }
    assert response["WWW-Authenticate"].startswith("Bearer")
    # A refused request does not count as a use.
    assert ApiToken.objects.get(user=alice).last_used_at is None


@pytest.mark.django_db
def test_a_token_works_until_it_expires(client, alice):
    raw = api_token_create(user=alice, name="new", expires_at=timezone.now() + timedelta(days=1))[1]

    assert client.get("/v1/models", **bearer(raw)).status_code == 200

    # The same token, its expiry moved into the past: no cache keeps it alive.
    ApiToken.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/v1/models", **bearer(raw)).status_code == 401


@pytest.mark.django_db
def test_a_revoked_token_that_has_not_expired_still_gets_the_revoked_answer(client, alice):
    token, raw = api_token_create(
        user=alice, name="new", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    response = client.get("/v1/models", **bearer(raw))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
