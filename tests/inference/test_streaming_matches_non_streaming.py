from __future__ import annotations

from inference.sampling import SamplingParams


def test_streamed_text_equals_the_whole_reply_with_greedy_decoding(tiny_engine):
    messages = [{"role": "user", "content": "Tell me about the office move."}]
    params = SamplingParams(max_tokens=24, ignore_eos=True)
    whole = tiny_engine.complete(messages, params)
    pieces = list(tiny_engine.stream(messages, params))
    assert len(pieces) > 1
    assert "".join(pieces) == whole.text


def test_streamed_text_equals_the_whole_reply_over_http(http_server):
    from inference.client import InferenceClient

    client = InferenceClient(http_server.url)
    messages = [{"role": "user", "content": "Say something."}]
    whole = client.chat(messages, max_tokens=20)
    assert "".join(client.stream_chat(messages, max_tokens=20)) == whole.text
