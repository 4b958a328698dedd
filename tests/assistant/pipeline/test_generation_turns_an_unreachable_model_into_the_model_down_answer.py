"""The generation stage ends the answer with a clear message when the model cannot be reached."""

from __future__ import annotations

import pytest

from assistant.models import Message
from assistant.pipeline import (
    MODEL_DOWN,
    AnswerEnded,
    answer_open,
    conversation_start,
    drop_injected,
    generate,
    moderate_question,
    retrieve,
)
from inference import FakeChatModel

QUESTION = "How long is parental leave?"


def test_an_unreachable_model_ends_the_answer_as_an_error(alice, retriever):
    conversation = conversation_start(user=alice, question=QUESTION)
    state = answer_open(user=alice, conversation=conversation, question=QUESTION)
    moderate_question(state)
    retrieve(state, retriever)
    drop_injected(state)

    with pytest.raises(AnswerEnded) as ended:
        list(generate(state, FakeChatModel(healthy=False)))

    assert (ended.value.content, ended.value.status) == (MODEL_DOWN, Message.Status.ERROR)
    assert "not reachable" in state.trace["error"]
    assert not conversation.messages.filter(role=Message.Role.ASSISTANT).exists()
