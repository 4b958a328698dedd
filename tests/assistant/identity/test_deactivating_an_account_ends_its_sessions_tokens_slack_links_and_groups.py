from __future__ import annotations

import pytest

from assistant.api.tokens import api_token_create
from assistant.identity.models import IdentityEvent
from assistant.identity.services import account_deactivate, account_groups_set
from assistant.slack.models import SlackLink
from assistant.slack.selectors import account_for_email, slack_link_for
from retrieval.access import principals_for
from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_deactivation_ends_everything_the_account_could_do_at_once(client, alice):
    account_groups_set(user=alice, names=["HR"], source="scim")
    signed_in = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
    _, raw = api_token_create(user=alice, name="laptop")
    SlackLink.objects.create(team_id="T1", slack_user_id="U1", user=alice)

    done = account_deactivate(user=alice, source="scim")

    # The open session is over: the next page asks to sign in.
    page = client.get("/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert client.get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert not SlackLink.objects.filter(user=alice).exists()
    assert slack_link_for(team_id="T1", slack_user_id="U1") is None
    assert account_for_email("alice@example.com") is None
    alice.refresh_from_db()
    assert not alice.is_active and not alice.groups.exists()
    assert principals_for(alice) == []
    assert (done.tokens_revoked, done.slack_links_removed, done.groups_removed) == (1, 1, ["HR"])
    event = IdentityEvent.objects.get(kind="deactivated", user_id=alice.pk)
    assert event.source == "scim"
    assert event.detail["groups_removed"] == ["HR"] and event.detail["tokens_revoked"] == 1
    # The password no longer works either.
    again = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert again.status_code == 200  # the form again, with its error: no redirect in
