"""The generation stage ends the answer with a clear message when the model cannot be reached."""

from __future__ import annotations

import pytest

from assistant.models import Message
from assistant.pipeline import MODEL_DOWN, AnswerEnded, generate
from inference import FakeChatModel
from tests.assistant.pipeline.conftest import retrieved


def test_an_unreachable_model_ends_the_answer_as_an_error(alice, retriever):
    state = retrieved(alice, retriever)

    with pytest.raises(AnswerEnded) as ended:
        list(generate(state, FakeChatModel(healthy=False)))

    assert (ended.value.content, ended.value.status) == (MODEL_DOWN, Message.Status.ERROR)
    assert "not reachable" in state.trace["error"]
    assert not state.conversation.messages.filter(role=Message.Role.ASSISTANT).exists()
