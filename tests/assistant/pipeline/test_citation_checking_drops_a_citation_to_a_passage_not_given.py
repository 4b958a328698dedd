"""The citation stage keeps only citations to passages the prompt gave the model."""

from __future__ import annotations

from assistant.models import Message
from assistant.pipeline import Draft, check_answer_citations, fit_prompt
from inference import FakeChatModel
from tests.assistant.pipeline.conftest import retrieved


def test_a_citation_to_a_fourth_source_of_a_one_source_prompt_is_removed(alice, retriever):
    state = retrieved(alice, retriever)
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
