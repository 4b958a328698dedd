from __future__ import annotations

import pytest

from assistant.api.models import ApiToken

from .conftest import bearer


@pytest.mark.django_db
def test_a_token_works_until_its_owner_revokes_it(client, alice, token_for):
    raw = token_for(alice)
    assert client.get("/v1/models", **bearer(raw)).status_code == 200

    client.force_login(alice)
    token = ApiToken.objects.get(user=alice)
    revoked = client.post(f"/settings/tokens/{token.pk}/revoke")

    assert revoked.status_code == 302
    response = client.get("/v1/models", **bearer(raw))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer eat_not-a-real-token", "Basic YWxpY2U6cHc="]
)
def test_requests_without_a_valid_token_get_401(client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/v1/models", **headers)

    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.django_db
def test_a_token_of_a_deactivated_user_gets_401(client, alice, token_for):
    raw = token_for(alice)
    alice.is_active = False
    alice.save()

    assert client.get("/v1/models", **bearer(raw)).status_code == 401
