"""A directory that deactivates a person through SCIM cuts them off everywhere at once.

Alice is signed in on the web, has an API token and a linked Slack account. The directory sends
the PATCH Microsoft Entra ID sends when someone leaves. Her next page request is sent to sign in,
her token gets 401, Slack tells her to link an account, and the identity log says what happened;
the documents she owns stay.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from assistant.api.tokens import api_token_create
from assistant.identity.models import IdentityEvent
from assistant.slack.formatting import LINK_INSTRUCTIONS
from assistant.slack.models import SlackLink
from assistant.slack.selectors import slack_asker_for
from retrieval.models import Document
from retrieval.services import document_create
from tests.slack.conftest import SIGNING_SECRET, TEAM, command_body, post_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack_on(settings: Any) -> None:
    """Slack answers slash commands here; people are matched by their link, not by email."""
    settings.SLACK_ENABLED = True
    settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_MATCH_BY_EMAIL = False


def test_entra_deactivation_ends_everything_alice_could_do(alice, scim, slack_on):
    web = Client()
    web.force_login(alice)
    assert web.get("/").status_code == 200
    _, token = api_token_create(user=alice, name="laptop")
    assert Client().get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    SlackLink.objects.create(team_id=TEAM, slack_user_id="U0ALICE", user=alice)
    assert slack_asker_for(team_id=TEAM, slack_user_id="U0ALICE").user == alice
    owned = document_create(
        file=ContentFile(b"Alice's notes", name="notes.txt"), owner=alice, enqueue=False
    )

    response = scim.patch(
        f"Users/{alice.pk}", {"op": "Replace", "path": "active", "value": "False"}
    )

    assert response.status_code == 200
    assert response.json()["active"] is False
    page = web.get("/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert Client().get("/v1/models", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert slack_asker_for(team_id=TEAM, slack_user_id="U0ALICE") is None
    reply = post_command(Client(), command_body(user="U0ALICE", text="what is the hotel limit?"))
    assert reply.json() == {"response_type": "ephemeral", "text": LINK_INSTRUCTIONS}
    deactivated = IdentityEvent.objects.get(user_id=alice.pk, kind=IdentityEvent.Kind.DEACTIVATED)
    assert deactivated.source == "scim"
    assert deactivated.detail["tokens_revoked"] == 1
    assert deactivated.detail["slack_links_removed"] == 1
    assert deactivated.detail["groups_removed"] == ["HR"]
    assert Document.objects.get(pk=owned.pk).owner_id == alice.pk
