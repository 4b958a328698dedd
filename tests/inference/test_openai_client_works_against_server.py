from __future__ import annotations

import openai

from inference.client import InferenceClient


def test_the_official_openai_sdk_gets_streamed_and_whole_replies(http_server):
    sdk = openai.OpenAI(base_url=f"{http_server.url}/v1", api_key="unused")
    messages = [{"role": "user", "content": "Hello"}]
    whole = sdk.chat.completions.create(
        model="tiny-moe", messages=messages, max_tokens=10, temperature=0
    )
    assert whole.choices[0].finish_reason in {"stop", "length"}
    assert whole.usage.completion_tokens <= 10
    assert whole.usage.prompt_tokens > 0
    chunks = list(
        sdk.chat.completions.create(
            model="tiny-moe",
            messages=messages,
            max_tokens=10,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == whole.choices[0].finish_reason


def test_our_client_lists_models_checks_health_and_reads_the_context(http_server):
    client = InferenceClient(http_server.url)
    assert client.models() == ["tiny-moe"]
    assert client.health()
    assert client.context_length() == 256
    completion = client.chat([{"role": "user", "content": "Hi"}], max_tokens=5)
    assert completion.model == "tiny-moe"
    assert completion.completion_tokens <= 5
