from __future__ import annotations

import pytest

from assistant.slack.models import SlackEvent

pytestmark = pytest.mark.django_db


def test_the_admin_shows_events_without_their_text(client, carol):
    event = SlackEvent.objects.create(
        dedupe_key="event:Ev1", kind="dm", team_id="T1", slack_user_id="U1", text="my salary?"
    )
    client.force_login(carol)
    listing = client.get("/django-admin/slack/slackevent/")
    assert listing.status_code == 200 and b"event:Ev1" in listing.content
    page = client.get(f"/django-admin/slack/slackevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"my salary?" not in page.content
