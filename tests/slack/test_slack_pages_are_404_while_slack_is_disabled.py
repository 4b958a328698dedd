from __future__ import annotations

import pytest

from tests.slack.conftest import command_body, event_body, post_command, post_event

pytestmark = pytest.mark.django_db


def test_slack_pages_are_404_while_slack_is_disabled(client, settings, carol):
    settings.SLACK_ENABLED = False
    assert post_event(client, event_body(user="U1", text="hi")).status_code == 404
    assert post_command(client, command_body(user="U1", text="help")).status_code == 404
    assert client.get("/slack/events").status_code == 404
    client.force_login(carol)
    assert client.get("/slack/links/").status_code == 404
    assert client.get("/slack/link/sometoken").status_code == 404
