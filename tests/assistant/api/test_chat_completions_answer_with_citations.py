from __future__ import annotations

import pytest

from assistant.models import Conversation, Message

from .conftest import post_json

QUESTION = {"role": "user", "content": "How long is parental leave?"}


# The answer is produced in a worker thread with its own database connection, which sees only
# committed rows.
@pytest.mark.django_db(transaction=True)
def test_a_completion_answers_as_the_token_user_with_citations_in_an_extra_field(
    client, alice, token_for, fake_model, leave_passage
):
    fake_model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")

    response = post_json(
        client,
        "/v1/chat/completions",
        {"model": "assistant", "messages": [QUESTION]},
        token_for(alice),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["object"] == "chat.completion" and body["model"] == "assistant"
    assert body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"] == {
        "role": "assistant",
        "content": "Employees may take 20 weeks of fully paid parental leave [1].",
    }
    assert choice["finish_reason"] == "stop"
    [citation] = body["citations"]
    assert citation["n"] == 1 and citation["title"] == "Leave policy"
    assert citation["chunk_id"] == 1 and citation["document_id"] == 10
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )
    conversation = Conversation.objects.get(pk=body["conversation_id"])
    assert conversation.owner == alice and conversation.surface == "api"
    assert Message.objects.get(pk=body["message_id"]).conversation == conversation


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_model_is_a_503_in_the_openai_error_shape(
    client, alice, token_for, fake_model, leave_passage
):
    fake_model.healthy = False

    response = post_json(
        client,
        "/v1/chat/completions",
        {"model": "assistant", "messages": [QUESTION]},
        token_for(alice),
    )

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_unavailable"


@pytest.mark.django_db(transaction=True)
def test_the_sampling_parameters_reach_the_model_and_default_to_the_pipelines(
    client, alice, token_for, fake_model, leave_passage
):
    fake_model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")
    fake_model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")
    token = token_for(alice)

    post_json(client, "/v1/chat/completions", {"model": "assistant", "messages": [QUESTION]}, token)
    post_json(
        client,
        "/v1/chat/completions",
        {
            "model": "assistant",
            "messages": [QUESTION],
            "temperature": 0.7,
            "frequency_penalty": 0.5,
            "max_tokens": 50,
        },
        token,
    )

    default, chosen = fake_model.received
    assert (default.temperature, default.frequency_penalty) == (0.0, 0.0)
    assert (chosen.temperature, chosen.frequency_penalty, chosen.max_tokens) == (0.7, 0.5, 50)
