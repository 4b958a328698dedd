"""The official `openai` client against the real ASGI server, with a personal token."""

from __future__ import annotations

import openai
import pytest

from assistant.api.models import ApiToken
from assistant.api.tokens import api_token_revoke
from assistant.pipeline import NOTHING_FOUND

QUESTION = [{"role": "user", "content": "What is the policy on pets in the office?"}]


# The server is another process: it sees only committed rows.
@pytest.mark.django_db(transaction=True)
def test_the_openai_client_streams_an_answer_and_a_revoked_token_gets_401(
    web_server, alice, token_for
):
    raw = token_for(alice)
    client = openai.OpenAI(base_url=f"{web_server}/v1", api_key=raw, max_retries=0, timeout=120)

    stream = client.chat.completions.create(model="assistant", messages=QUESTION, stream=True)
    chunks = list(stream)

    # No document is readable, so the answer is "nothing found", and the model is not needed.
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == NOTHING_FOUND, text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == []
    assert chunks[-1].model_extra["status"] == "nothing_found"

    completion = client.chat.completions.create(model="assistant", messages=QUESTION)
    assert completion.choices[0].message.content == NOTHING_FOUND
    assert completion.model_extra["citations"] == []
    assert [m.id for m in client.models.list()] == ["assistant"]
    assert client.moderations.create(input="Have a nice day").results[0].flagged is False

    api_token_revoke(token=ApiToken.objects.get(user=alice))

    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="assistant", messages=QUESTION, stream=True)
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


@pytest.mark.django_db(transaction=True)
def test_the_openapi_schema_is_served_and_describes_the_endpoints(web_server):
    import httpx

    schema = httpx.get(f"{web_server}/api/openapi.json", timeout=30).json()
    docs = httpx.get(f"{web_server}/api/docs", timeout=30)

    assert {"/v1/chat/completions", "/v1/models", "/v1/moderations", "/api/documents"} <= set(
        schema["paths"]
    )
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    assert docs.status_code == 200
