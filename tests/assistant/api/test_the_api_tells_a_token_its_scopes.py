from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assistant.api.tokens import api_token_create

from .conftest import bearer


@pytest.mark.django_db
def test_the_current_token_endpoint_reports_name_prefix_scopes_and_expiry(client, carol):
    expires_at = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    token, raw = api_token_create(
        user=carol, name="uploads", scopes=["documents"], expires_at=expires_at
    )

    response = client.get("/api/tokens/current", **bearer(raw))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "name": "uploads",
        "prefix": token.prefix,
        "scopes": ["documents"],
        "expires_at": body["expires_at"],
    }
    assert datetime.fromisoformat(body["expires_at"]) == expires_at


@pytest.mark.django_db
def test_a_chat_token_that_never_expires_says_so(client, alice):
    raw = api_token_create(user=alice, name="laptop")[1]

    body = client.get("/api/tokens/current", **bearer(raw)).json()

    assert (body["scopes"], body["expires_at"]) == (["chat"], None)


@pytest.mark.django_db
def test_without_a_token_it_is_401(client):
    assert client.get("/api/tokens/current").status_code == 401
