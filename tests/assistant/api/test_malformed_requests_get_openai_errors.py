from __future__ import annotations

import pytest

from assistant.models import Message

from .conftest import bearer, post_json

USER = {"role": "user", "content": "How long is parental leave?"}


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400_with_an_openai_error(client, alice, token_for):
    response = client.post(
        "/v1/chat/completions",
        "{not json",
        content_type="application/json",
        **bearer(token_for(alice)),
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "assistant"}, 400, "messages"),
        ({"model": "assistant", "messages": []}, 400, "messages"),
        ({"model": "assistant", "messages": [{"role": "wizard", "content": "hi"}]}, 400, None),
        (
            {"model": "assistant", "messages": [{"role": "assistant", "content": "hi"}]},
            400,
            "messages",
        ),
        ({"model": "assistant", "messages": [{"role": "user", "content": "  "}]}, 400, "messages"),
        ({"model": "assistant", "messages": [USER], "max_tokens": 0}, 400, "max_tokens"),
        ({"model": "assistant", "messages": [USER], "n": 3}, 400, "n"),
        (
            {"model": "assistant", "messages": [USER], "frequency_penalty": 3},
            400,
            "frequency_penalty",
        ),
        ({"model": "gpt-4o", "messages": [USER]}, 404, "model"),
    ],
)
def test_invalid_chat_requests_are_rejected_before_anything_runs(
    client, alice, token_for, body, status, param
):
    response = post_json(client, "/v1/chat/completions", body, token_for(alice))

    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if param:
        assert (error["param"] or "").startswith(param)


@pytest.mark.django_db
def test_a_question_over_the_length_limit_is_a_400_that_says_the_limit(client, alice, token_for):
    question = {"role": "user", "content": "x" * 200_000}
    body = {"model": "assistant", "messages": [question]}

    response = post_json(client, "/v1/chat/completions", body, token_for(alice))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "messages"
    assert "200,000 characters" in error["message"] and "4,000" in error["message"]
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_moderating_too_many_texts_is_a_400(client, alice, token_for):
    response = post_json(client, "/v1/moderations", {"input": ["x"] * 100}, token_for(alice))

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input"
