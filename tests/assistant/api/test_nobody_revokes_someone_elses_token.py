from __future__ import annotations

import pytest

from assistant.api.models import ApiToken

from .conftest import bearer


@pytest.mark.django_db
def test_bob_cannot_revoke_alices_token_and_sees_the_same_404_as_for_a_missing_one(
    client, alice, bob, token_for
):
    raw = token_for(alice)
    token = ApiToken.objects.get(user=alice)
    client.force_login(bob)

    theirs = client.post(f"/settings/tokens/{token.pk}/revoke")
    missing = client.post(f"/settings/tokens/{token.pk + 1000}/revoke")

    assert theirs.status_code == missing.status_code == 404
    assert client.get("/v1/models", **bearer(raw)).status_code == 200
    assert "You have no tokens yet." in client.get("/settings/tokens/").content.decode()
