from __future__ import annotations

import pytest

from assistant.slack.formatting import HELP, THINKING
from tests.slack.conftest import PUBLIC_BASE_URL, EchoModel, command_body, post_command

pytestmark = pytest.mark.django_db


def test_slash_command_answers_privately_through_response_url(
    client, alice, link, library, slack_api, answer_here
):
    link(alice, "U0ALICE")
    body = command_body(user="U0ALICE", text="What is the hotel allowance for HR auditors?")
    event = answer_here(body, chat_model=EchoModel(), command=True)

    assert event.kind == "command"
    (reply,) = slack_api.posted("response_url")
    assert reply.path == "/" + event.response_url.split("/", 3)[3]
    assert reply.body["response_type"] == "ephemeral"
    hr_chunk = library["hr"].chunks.get()
    assert f"<{PUBLIC_BASE_URL}/sources/{hr_chunk.pk}|HR salary bands" in reply.body["text"]
    assert not slack_api.posted("chat.postMessage")  # nothing in the channel


def test_the_command_is_acknowledged_privately_at_once(client, alice, link):
    link(alice, "U0ALICE")
    response = post_command(client, command_body(user="U0ALICE", text="hotel limit?"))
    assert response.json() == {"response_type": "ephemeral", "text": THINKING}


@pytest.mark.parametrize("text", ["", "help", " HELP "])
def test_ask_help_explains_the_commands(client, text):
    response = post_command(client, command_body(user="U0ANYONE", text=text))
    assert response.json() == {"response_type": "ephemeral", "text": HELP}


def test_a_response_url_outside_slack_is_never_called(settings):
    from assistant.slack.answering import response_url_allowed

    assert response_url_allowed("https://hooks.slack.com/commands/T1/2/abc")
    assert response_url_allowed(settings.SLACK_API_BASE_URL.replace("/api/", "/response/x"))
    assert not response_url_allowed("https://hooks.slack.com.evil.example/x")
    assert not response_url_allowed("http://hooks.slack.com/commands/T1/2/abc")
    assert not response_url_allowed("http://169.254.169.254/latest/meta-data/")
