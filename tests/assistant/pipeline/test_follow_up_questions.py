from __future__ import annotations

from assistant.pipeline import answer
from tests.doubles import readable_by_everyone


def test_a_follow_up_is_searched_together_with_the_previous_question(alice, model, retriever):
    readable_by_everyone(retriever.passages)
    model.add_reply("Parental leave is 20 weeks [1].")
    model.add_reply("It can be split into three blocks [1].")
    first = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    answer(
        user=alice,
        question="Can it be split?",
        conversation=first.conversation,
        chat_model=model,
        retriever=retriever,
    )

    assert retriever.queries[1] == "How long is parental leave? Can it be split?"
    # The earlier turns were given to the model as conversation history.
    roles = [m["role"] for m in model.messages[1]]
    assert roles == ["system", "user", "assistant", "user"]
