from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant.api.models import ApiToken
from assistant.api.tokens import api_token_create


@pytest.mark.django_db
def test_a_token_made_on_the_page_gets_the_chosen_scopes_and_expiry_and_is_listed_with_them(
    client, carol
):
    client.force_login(carol)

    created = client.post(
        "/settings/tokens/", {"name": "sync", "scopes": ["chat", "documents"], "expiry": "30"}
    )

    assert created.context["created"] is not None
    token = ApiToken.objects.get(user=carol)
    assert token.scopes == ["chat", "documents"]
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    page = client.get("/settings/tokens/").content.decode()
    assert '<td class="token-scopes">chat, documents</td>' in page
    expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert f'<td class="token-expires">{expires}</td>' in page
    assert '<td class="token-state">active</td>' in page


@pytest.mark.django_db
def test_a_date_sets_the_expiry_to_the_start_of_that_day(client, alice):
    client.force_login(alice)
    day = timezone.localdate() + timedelta(days=10)

    client.post("/settings/tokens/", {"name": "x", "expiry": "30", "expires_on": day.isoformat()})

    token = ApiToken.objects.get(user=alice)
    assert token.scopes == ["chat"]
    assert token.expires_at is not None
    assert timezone.localtime(token.expires_at).date() == day
    assert timezone.localtime(token.expires_at).time().hour == 0


@pytest.mark.django_db
def test_a_date_in_the_past_is_refused(client, alice):
    client.force_login(alice)

    response = client.post(
        "/settings/tokens/", {"name": "x", "expires_on": timezone.localdate().isoformat()}
    )

    assert response.context["form"].errors["expires_on"] == ["Choose a date after today."]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_token_posted_with_only_a_name_is_a_chat_token_that_never_expires(client, carol):
    client.force_login(carol)

    client.post("/settings/tokens/", {"name": "script"})

    token = ApiToken.objects.get(user=carol)
    assert (token.scopes, token.expires_at) == (["chat"], None)
    assert (
        '<td class="token-expires">never</td>' in client.get("/settings/tokens/").content.decode()
    )


@pytest.mark.django_db
def test_an_expired_token_is_listed_as_expired_without_a_revoke_button(client, alice):
    api_token_create(user=alice, name="old", expires_at=timezone.now() - timedelta(days=1))
    client.force_login(alice)

    page = client.get("/settings/tokens/").content.decode()

    assert '<td class="token-state">expired</td>' in page
    assert "Revoke</button>" not in page
