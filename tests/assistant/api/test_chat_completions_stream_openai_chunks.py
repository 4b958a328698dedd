from __future__ import annotations

import pytest

from assistant.pipeline import NOTHING_FOUND

from .conftest import post_json, sse_events

QUESTION = {"role": "user", "content": "How long is parental leave?"}


@pytest.mark.django_db(transaction=True)
def test_a_streamed_completion_is_a_series_of_chunks_ending_with_citations_and_done(
    client, alice, token_for, fake_model, leave_passage
):
    fake_model.add_reply(
        "Employees may take 20 weeks of fully paid parental leave [1]. It follows a birth [1]."
    )

    response = post_json(
        client,
        "/v1/chat/completions",
        {
            "model": "assistant",
            "messages": [QUESTION],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        token_for(alice),
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == (
        "Employees may take 20 weeks of fully paid parental leave [1]. It follows a birth [1]."
    )
    # The answer comes in pieces (sentence by sentence, after output moderation).
    assert sum(1 for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")) > 1, (
        chunks
    )
    final, usage = chunks[-2], chunks[-1]
    assert final["choices"][0]["finish_reason"] == "stop"
    assert [c["n"] for c in final["citations"]] == [1]
    assert final["content"] == text and final["status"] == "complete"
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0


@pytest.mark.django_db(transaction=True)
def test_nothing_found_is_streamed_as_the_answer(client, alice, token_for, fake_model):
    response = post_json(
        client,
        "/v1/chat/completions",
        {"model": "assistant", "messages": [QUESTION], "stream": True},
        token_for(alice),
    )

    chunks = sse_events(response)[:-1]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == NOTHING_FOUND
    assert chunks[-1]["status"] == "nothing_found" and chunks[-1]["citations"] == []
    assert fake_model.received == []
