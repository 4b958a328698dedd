"""The citation stage keeps only citations to passages the prompt gave the model."""

from __future__ import annotations

from assistant.models import Message
from assistant.pipeline import (
    Draft,
    answer_open,
    check_answer_citations,
    conversation_start,
    drop_injected,
    fit_prompt,
    moderate_question,
    retrieve,
)
from inference import FakeChatModel

QUESTION = "How long is parental leave?"


def test_a_citation_to_a_fourth_source_of_a_one_source_prompt_is_removed(alice, retriever):
    conversation = conversation_start(user=alice, question=QUESTION)
    state = answer_open(user=alice, conversation=conversation, question=QUESTION)
    moderate_question(state)
    retrieve(state, retriever)
    drop_injected(state)
    prompt = fit_prompt(state, FakeChatModel())
    assert len(prompt.passages) == 1
    draft = Draft(
        text="Parental leave is 20 weeks, fully paid [1]. It is paid after a birth or adoption [4].",
        status=Message.Status.COMPLETE,
        withheld=False,
    )

    reply = check_answer_citations(state, draft)

    assert "[4]" not in reply.content
    assert [c["chunk_id"] for c in reply.citations] == [1]
    assert {"n": 4, "reason": "no such source"} in state.trace["citations_removed"]
    assert state.trace["draft"] == draft.text
