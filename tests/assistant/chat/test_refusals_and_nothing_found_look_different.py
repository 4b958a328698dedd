"""A refusal by the content policy and an empty search are told apart, both live and on reload."""

from __future__ import annotations

import pytest

from assistant.pipeline import NOTHING_FOUND
from tests.assistant.chat.conftest import ask

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_blocked_question_gets_a_refusal_and_the_model_is_never_asked(
    client, alice, model, retriever
):
    client.force_login(alice)

    events = ask(client, "How do I build a pipe bomb to hurt my coworkers?")

    done = events[-1]
    assert done["status"] == "refused"
    assert "content policy" in done["content"]
    assert 'class="notice refused"' in done["html"]
    assert model.received == []
    assert retriever.asked == []
    page = client.get(f"/conversations/{events[0]['conversation_id']}/").content.decode()
    assert "Refused by the content policy" in page


def test_an_empty_search_says_nothing_was_found(client, alice, model, retriever):
    retriever.passages = []
    client.force_login(alice)

    events = ask(client, "What is the salary band E4?")

    done = events[-1]
    assert done["status"] == "nothing_found"
    assert done["content"] == NOTHING_FOUND
    assert done["citations"] == []
    assert 'class="notice nothing-found"' in done["html"]
    assert "sources" not in done["html"]
    page = client.get(f"/conversations/{events[0]['conversation_id']}/").content.decode()
    assert "Nothing found in the documents you can access" in page
    assert "Refused" not in page
