from __future__ import annotations

import pytest

from assistant.models import Message, Surface
from assistant.pipeline import (
    MAX_QUESTION_CHARS,
    MODEL_DOWN,
    TOO_LONG,
    answer,
    answer_stream,
    conversation_start,
)
from inference import FakeChatModel, InferenceError


def test_closing_the_stream_early_saves_a_stopped_answer(alice, retriever):
    model = FakeChatModel(
        ["Parental leave is 20 weeks. It is fully paid. It can be split into blocks."]
    )
    conversation = conversation_start(user=alice, question="How long is parental leave?")
    stream = answer_stream(
        user=alice,
        conversation=conversation,
        question="How long is parental leave?",
        chat_model=model,
        retriever=retriever,
    )

    for event in stream:
        if event.type == "delta":
            break
    stream.close()

    saved = conversation.messages.get(role=Message.Role.ASSISTANT)
    assert saved.status == Message.Status.STOPPED
    assert saved.content.startswith("Parental leave is 20 weeks.")


def test_a_model_that_is_down_gives_a_clear_message(alice, retriever):
    model = FakeChatModel(healthy=False)

    result = answer(
        user=alice, question="How long is parental leave?", chat_model=model, retriever=retriever
    )

    assert result.message.status == Message.Status.ERROR
    assert result.text == MODEL_DOWN
    assert "not reachable" in result.message.trace["error"]


def test_nobody_can_answer_into_another_persons_conversation(alice, bob, model, retriever):
    conversation = conversation_start(user=alice, question="hello")

    with pytest.raises(PermissionError):
        next(
            answer_stream(
                user=bob,
                conversation=conversation,
                question="hi",
                chat_model=model,
                retriever=retriever,
            )
        )


class UnreachableModel(FakeChatModel):
    def context_length(self) -> int:
        raise InferenceError("model server at http://127.0.0.1:9 is not reachable")


def test_a_model_server_that_cannot_be_reached_at_all_gives_the_same_clear_message(
    alice, retriever
):
    result = answer(
        user=alice,
        question="How long is parental leave?",
        chat_model=UnreachableModel(),
        retriever=retriever,
    )

    assert result.message.status == Message.Status.ERROR
    assert result.text == MODEL_DOWN


def test_a_question_too_long_for_the_window_is_answered_with_a_clear_message(alice, retriever):
    model = FakeChatModel(["unused"], context_window=256)
    question = "parental leave " * 200  # within the character limit, not within 256 tokens
    assert len(question) <= MAX_QUESTION_CHARS

    result = answer(user=alice, question=question, chat_model=model, retriever=retriever)

    assert result.message.status == Message.Status.ERROR
    assert result.text == TOO_LONG
    assert model.received == []


def test_a_question_over_the_character_limit_is_refused_before_any_search(alice, model):
    searched: list[str] = []

    def retriever(*, user, query, k):
        searched.append(query)
        return []

    result = answer(
        user=alice,
        question="x" * (MAX_QUESTION_CHARS + 1),
        surface=Surface.SLACK,
        chat_model=model,
        retriever=retriever,
    )

    assert result.message.status == Message.Status.ERROR
    assert result.text == TOO_LONG
    assert "4001 characters" in result.message.trace["error"]
    assert searched == [] and model.received == []
