"""A fake model and a fake retriever, so pipeline tests need neither the model nor ingestion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from inference import FakeChatModel
from retrieval.search import Passage


def passage(
    chunk_id: int, text: str, *, title: str = "Leave policy", dense: float = 0.8
) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        document_id=chunk_id * 10,
        title=title,
        location="Leave › Parental leave",
        text=text,
        score=dense,
        dense_score=dense,
        lexical_score=1.0,
    )


@dataclass
class FakeRetriever:
    """Returns fixed passages and records the queries it was asked."""

    passages: list[Passage] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def __call__(self, *, user: Any, query: str, k: int) -> list[Passage]:
        self.queries.append(query)
        return self.passages[:k]


@pytest.fixture
def model() -> FakeChatModel:
    return FakeChatModel()


@pytest.fixture
def retriever() -> FakeRetriever:
    return FakeRetriever(
        [
            passage(
                1,
                "Every employee may take 20 weeks of fully paid parental leave after a birth or adoption.",
            )
        ]
    )


QUESTION = "How long is parental leave?"


def opened(user: Any, question: str = QUESTION) -> Any:
    """A new answer's state: `question` asked by `user` in a new conversation."""
    from assistant.pipeline import answer_open, conversation_start

    conversation = conversation_start(user=user, question=question)
    return answer_open(user=user, conversation=conversation, question=question)


def retrieved(user: Any, retriever: Any, question: str = QUESTION, *, scanned: bool = True) -> Any:
    """The state once the question is moderated and passages retrieved (and, if `scanned`, the
    context scan has run)."""
    from assistant.pipeline import drop_injected, moderate_question, retrieve

    state = opened(user, question)
    moderate_question(state)
    retrieve(state, retriever)
    if scanned:
        drop_injected(state)
    return state


def answered(user: Any, question: str, *, model: Any, retriever: Any) -> list[Any]:
    """Every event of `answer_stream` for `question` asked in a new conversation."""
    from assistant.pipeline import answer_stream, conversation_start

    conversation = conversation_start(user=user, question=question)
    return list(
        answer_stream(
            user=user,
            conversation=conversation,
            question=question,
            chat_model=model,
            retriever=retriever,
        )
    )
