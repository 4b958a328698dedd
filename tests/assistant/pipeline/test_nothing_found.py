from __future__ import annotations

from assistant.models import Message
from assistant.pipeline import NOTHING_FOUND, answer
from tests.assistant.pipeline.conftest import FakeRetriever, passage


def test_with_no_visible_passage_the_assistant_says_so_without_asking_the_model(alice, model):
    result = answer(
        user=alice,
        question="What is the salary band E4?",
        chat_model=model,
        retriever=FakeRetriever(),
    )

    assert result.message.status == Message.Status.NOTHING_FOUND
    assert result.text == NOTHING_FOUND
    assert result.citations == []
    assert model.received == []


def test_unrelated_passages_count_as_nothing_found(alice, model):
    retriever = FakeRetriever([passage(1, "The office opens at 8:00.", dense=0.05)])

    result = answer(
        user=alice, question="What is the salary band E4?", chat_model=model, retriever=retriever
    )

    assert result.text == NOTHING_FOUND
    assert model.received == []


def test_a_model_that_says_it_found_nothing_gets_no_sources(alice, model, retriever):
    model.add_reply("I found nothing on this in the documents you can access.")

    result = answer(
        user=alice, question="Who founded the company?", chat_model=model, retriever=retriever
    )

    assert result.message.status == Message.Status.NOTHING_FOUND
    assert result.citations == []
