from __future__ import annotations

from assistant.pipeline import answer
from inference import FakeChatModel, count_tokens
from tests.assistant.pipeline.conftest import FakeRetriever, passage


def test_many_long_passages_never_overflow_a_small_context_window(alice):
    model = FakeChatModel(["Parental leave is 20 weeks [1]."], context_window=1024)
    long_text = "Parental leave is 20 weeks, fully paid. " * 120
    retriever = FakeRetriever([passage(i, long_text) for i in range(1, 9)])

    answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    call = model.received[0]
    prompt_tokens = sum(count_tokens(m["content"]) + 4 for m in call.messages)
    assert prompt_tokens + call.max_tokens <= 1024
    # The best passage still made it in, trimmed if need be.
    assert "[1] Leave policy" in call.messages[-1]["content"]
