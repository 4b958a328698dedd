from __future__ import annotations

import pytest

from inference import FakeChatModel, InferenceError


def test_it_replies_in_order_and_records_what_it_was_asked():
    fake = FakeChatModel(["Lisbon [1].", "I found nothing in your documents."])
    first = fake.chat([{"role": "user", "content": "Where?"}])
    assert first.text == "Lisbon [1]."
    assert first.finish_reason == "stop"
    assert "".join(fake.stream_chat([{"role": "user", "content": "Who?"}])).startswith("I found")
    assert fake.messages == [
        [{"role": "user", "content": "Where?"}],
        [{"role": "user", "content": "Who?"}],
    ]
    assert fake.received[1].stream is True
    with pytest.raises(InferenceError):
        fake.chat([{"role": "user", "content": "again"}])


def test_it_honours_stop_sequences_and_reports_health():
    fake = FakeChatModel(["answer\nUser: more"], healthy=True, context_window=4096)
    assert fake.chat([], stop=["\nUser:"]).text == "answer"
    assert fake.context_length() == 4096
    fake.healthy = False
    assert fake.health() is False
