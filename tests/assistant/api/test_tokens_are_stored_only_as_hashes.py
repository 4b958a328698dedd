from __future__ import annotations

import hashlib

import pytest

from assistant.api.models import ApiToken


@pytest.mark.django_db
def test_the_settings_page_shows_a_new_token_once_and_stores_only_its_hash(client, alice):
    client.force_login(alice)

    created = client.post("/settings/tokens/", {"name": "laptop script"})

    assert created.status_code == 200
    raw = created.context["created"]
    assert raw.startswith("eat_") and raw in created.content.decode()
    token = ApiToken.objects.get(user=alice)
    assert token.name == "laptop script"
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.token_hash, token.prefix} and raw.startswith(token.prefix)
    # The next visit lists the token by its prefix but cannot show it again.
    listed = client.get("/settings/tokens/").content.decode()
    assert "laptop script" in listed and token.prefix in listed and raw not in listed
