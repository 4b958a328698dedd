"""The `/ask link` page shows whose Slack account is being linked, so a forwarded link shows."""

from __future__ import annotations

import re

import pytest

from tests.slack.conftest import PUBLIC_BASE_URL, TEAM, command_body, post_command, unique

pytestmark = pytest.mark.django_db

NOT_YOURS = "is not the email of your account here"


def link_page(client, slack_user: str) -> str:  # type: ignore[no-untyped-def]
    reply = post_command(client, command_body(user=slack_user, text="link")).json()
    return re.search(r"<([^|>]+)\|", reply["text"]).group(1).removeprefix(PUBLIC_BASE_URL)


def test_the_page_shows_the_workspace_display_name_and_email(client, alice, slack_api):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    path = link_page(client, slack_user)
    client.force_login(alice)
    page = client.get(path).content.decode()

    for shown in ("Example Corp", TEAM, "Alice Martin", slack_user, "alice@example.com"):
        assert shown in page
    assert NOT_YOURS not in page


def test_someone_opening_another_persons_link_is_warned(client, bob, slack_api):
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    path = link_page(client, slack_user)
    client.force_login(bob)
    page = client.get(path).content.decode()

    assert "Alice Martin" in page and "alice@example.com" in page
    assert NOT_YOURS in page


def test_without_the_scopes_the_page_shows_the_ids_and_still_links(client, alice, slack_api):
    slack_api.scopes -= {"users:read", "team:read"}
    slack_user = unique("U")
    slack_api.add_user(slack_user, email="alice@example.com", display_name="Alice Martin")
    path = link_page(client, slack_user)
    client.force_login(alice)
    page = client.get(path).content.decode()

    assert TEAM in page and slack_user in page
    assert "Alice Martin" not in page and "Example Corp" not in page
    assert client.post(path).status_code == 200
    assert alice.slack_links.get().slack_user_id == slack_user
