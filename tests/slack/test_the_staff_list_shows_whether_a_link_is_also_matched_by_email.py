"""Staff see, for each link, whether its Slack user is matched by email, as Slack last said."""

from __future__ import annotations

import pytest

from assistant.slack.profiles import slack_profile
from tests.slack.conftest import TEAM, unique

pytestmark = pytest.mark.django_db


def row_of(page: str, slack_user: str) -> str:
    start = page.index(f"<code>{slack_user}</code>")
    return page[start : page.index("</tr>", start)]


def test_the_staff_list_shows_whether_a_link_is_also_matched_by_email(
    client, carol, alice, bob, charlie, link, slack_api
):
    same, other, plain, unknown = (unique("U") for _ in range(4))
    slack_api.add_user(same, email="alice@example.com")
    slack_api.add_user(other, email="charlie@example.com")
    slack_api.add_user(plain, email="nobody@example.com")
    link(alice, same)
    link(bob, other)
    link(bob, plain)
    link(bob, unknown)
    for slack_user in (same, other, plain):
        slack_profile(team_id=TEAM, slack_user_id=slack_user)
    looked_up = len(slack_api.lookups)

    client.force_login(carol)
    page = client.get("/slack/links/").content.decode()

    assert "<td>email</td>" in row_of(page, same)
    assert f"email, as {charlie.username} (this link is not used)" in row_of(page, other)
    assert "<td>link</td>" in row_of(page, plain)
    assert "<td></td>" in row_of(page, unknown)
    assert len(slack_api.lookups) == looked_up  # the page never asks Slack
