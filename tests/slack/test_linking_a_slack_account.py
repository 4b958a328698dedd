"""`/ask link` gives a one-time, expiring link; opening it signed in links that Slack user."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from assistant.slack.models import LinkRequest, SlackLink
from tests.slack.conftest import PUBLIC_BASE_URL, TEAM, command_body, post_command

pytestmark = pytest.mark.django_db


def ask_for_link(client: Client, slack_user: str = "U0ALICE") -> str:
    response = post_command(client, command_body(user=slack_user, text="link"))
    assert response.status_code == 200
    reply = response.json()
    assert reply["response_type"] == "ephemeral"  # only the asker ever sees the link
    url = re.search(r"<([^|>]+)\|", reply["text"]).group(1)
    assert url.startswith(f"{PUBLIC_BASE_URL}/slack/link/")
    return url.removeprefix(PUBLIC_BASE_URL)


def test_opening_the_link_signed_in_and_confirming_links_the_account(client, alice):
    path = ask_for_link(client)
    client.force_login(alice)
    assert b"Link my Slack account" in client.get(path).content
    assert client.post(path).status_code == 200
    link = SlackLink.objects.get()
    assert (link.team_id, link.slack_user_id, link.user) == (TEAM, "U0ALICE", alice)


def test_the_link_page_needs_sign_in(client):
    path = ask_for_link(client)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_confirming_needs_the_csrf_token(alice):
    path = ask_for_link(Client())
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.post(path).status_code == 403
    assert not SlackLink.objects.exists()
    page = browser.get(path)
    token = page.context["csrf_token"]
    assert browser.post(path, {"csrfmiddlewaretoken": str(token)}).status_code == 200
    assert SlackLink.objects.get().user == alice


def test_a_link_works_once(client, alice, bob):
    path = ask_for_link(client)
    client.force_login(alice)
    client.post(path)
    client.force_login(bob)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert SlackLink.objects.get().user == alice


def test_an_expired_link_is_refused(client, alice):
    path = ask_for_link(client)
    LinkRequest.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(alice)
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not SlackLink.objects.exists()


def test_only_a_hash_of_the_token_is_stored(client):
    path = ask_for_link(client)
    token = path.rsplit("/", 1)[1]
    stored = LinkRequest.objects.get().token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored


def test_linking_again_moves_the_slack_user_to_the_new_account(client, alice, bob):
    for person in (alice, bob):
        path = ask_for_link(client)
        client.force_login(person)
        client.post(path)
    assert SlackLink.objects.get().user == bob
