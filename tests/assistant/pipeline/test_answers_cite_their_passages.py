from __future__ import annotations

from assistant.models import Message
from assistant.pipeline import answer
from tests.assistant.pipeline.conftest import FakeRetriever, passage


def test_an_answer_cites_the_passage_it_used_and_keeps_a_trace(alice, model, retriever):
    model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert result.message.status == Message.Status.COMPLETE
    assert result.text == "Employees may take 20 weeks of fully paid parental leave [1]."
    assert [c["chunk_id"] for c in result.citations] == [1]
    assert result.citations[0]["title"] == "Leave policy"
    trace = result.message.trace
    assert trace["retrieved"][0]["chunk_id"] == 1
    assert trace["prompt_passages"] == [1]
    assert trace["moderation"]["input"]["action"] == "allow"
    assert result.message.ttft_ms is not None and result.message.total_ms is not None
    # The passage reached the model as a numbered source, followed by the question.
    prompt = model.messages[0][-1]["content"]
    assert (
        prompt.startswith("Sources:\n[1] Leave policy")
        and "20 weeks" in prompt
        and "How long is parental leave?" in prompt
    )


def test_a_citation_to_a_passage_that_does_not_exist_is_removed(alice, model, retriever):
    model.add_reply(
        "Parental leave lasts 20 weeks, fully paid [1]. The cafeteria opens at noon [7]."
    )

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert "[7]" not in result.text
    assert [c["n"] for c in result.citations] == [1]
    assert {"n": 7, "reason": "no such source"} in result.message.trace["citations_removed"]


def test_an_uncited_supported_sentence_gets_its_source(alice, model, retriever):
    model.add_reply("Every employee may take 20 weeks of fully paid parental leave.")

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert result.text.endswith("[1].")
    assert result.citations[0]["added"] is True


def test_a_generic_sentence_goes_to_the_passage_that_answers_the_question(alice, model):
    # Both passages support the sentence word for word; only the second is about home loans for
    # people living abroad, which is what was asked. Rank alone would pick the first.
    retriever = FakeRetriever(
        [
            passage(
                1,
                "ZX Bank offers loans to farmers for seeds, tractors and irrigation.",
                title="Agriculture loan",
            ),
            passage(
                2,
                "ZX Bank offers loans to NRIs buying a home in India, with tenures up to 30 years.",
                title="House loan",
            ),
        ]
    )
    model.add_reply("ZX Bank offers loans to customers.")

    result = answer(
        user=alice,
        question="Does ZX Bank give home loans to NRIs?",
        chat_model=model,
        retriever=retriever,
    )

    assert [c["title"] for c in result.citations] == ["House loan"]
    assert result.citations[0]["added"] is True


def test_an_answer_no_passage_supports_says_so(alice, model, retriever):
    # The model answered from nowhere (the leave policy says nothing about vacation days): the
    # reader is told that no document backs the answer, and the trace records it.
    model.add_reply("The answer is: 12 vacation days per year for every contractor.")

    result = answer(
        user=alice, question="How many vacation days?", chat_model=model, retriever=retriever
    )

    assert result.message.status == Message.Status.COMPLETE
    assert result.citations == []
    assert result.text.startswith("The answer is: 12 vacation days")
    assert result.text.endswith(
        "[No passage of the documents you can access supports this answer; "
        "check it before relying on it.]"
    )
    assert result.message.trace["unsupported"] is True


def test_a_supported_answer_gets_no_such_notice(alice, model, retriever):
    model.add_reply("Employees may take 20 weeks of fully paid parental leave [1].")

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert "No passage" not in result.text
    assert "unsupported" not in result.message.trace
