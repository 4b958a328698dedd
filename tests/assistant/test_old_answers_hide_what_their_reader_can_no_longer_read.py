"""Nothing outlives access: old answers, their sources and the history sent to the model.

Alice reads an HR-only document through the chat; then the document is deleted, or Alice leaves HR.
Her conversation page, the API's history of it and the command line show no title, snippet or text
of it any more, and the next prompt built for her holds none of it. Giving access back shows it
again: the rule is a re-check at display time, not a purge.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from assistant import pipeline
from assistant.api.tokens import api_token_create
from assistant.models import Conversation, Surface
from assistant.readable import ANSWER_WITHHELD, SOURCE_GONE
from retrieval.ingestion import document_ingest
from retrieval.services import document_create, document_delete
from tests.assistant.chat.conftest import ask
from tests.doubles import EchoModel

CANARY = "HERON-CANARY-4410"
TITLE = "Auditor allowances"
HR_DOCUMENT = f"""# {TITLE}

## Hotels

HR auditors may claim a hotel allowance of 240 euros per night. Internal reference {CANARY}.
"""
ORG_DOCUMENT = """# Travel guide

## Meals

On business trips, meals are reimbursed up to 45 euros per day with receipts.
"""
SECRETS = [CANARY, TITLE, "240 euros", "auditors may claim"]
QUESTION = "What hotel allowance may HR auditors claim?"
FOLLOW_UP = "And what about meals?"


def leaked(text: str) -> list[str]:
    """Secrets in `text`, once Alice's own questions (shown back to her) are removed."""
    for question in (QUESTION, FOLLOW_UP):
        text = text.replace(question, "")
    return [s for s in SECRETS if s.lower() in text.lower()]


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> EchoModel:
    model = EchoModel()
    monkeypatch.setattr(pipeline, "default_chat_model", lambda: model)
    return model


@pytest.fixture
def hr_document(groups):  # type: ignore[no-untyped-def]
    # An org-wide document too, so a follow-up still reaches the model after the HR one is gone.
    travel = document_create(
        file=ContentFile(ORG_DOCUMENT.encode(), name="travel.md"), org_wide=True, enqueue=False
    )
    document_ingest(document_id=travel.pk)
    document = document_create(
        file=ContentFile(HR_DOCUMENT.encode(), name="allowances.md"),
        filename="allowances.md",
        title=TITLE,
        groups=[groups["HR"]],
        enqueue=False,
    )
    document_ingest(document_id=document.pk)
    document.refresh_from_db()
    assert document.status == "ready", document.error
    return document


def surfaces_seen_by(client, alice, conversation_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What Alice is shown of the conversation on every surface that lists stored answers."""
    client.force_login(alice)
    page = client.get(f"/conversations/{conversation_id}/").content.decode()
    token = api_token_create(user=alice, name="history")[1]
    history = client.get(
        f"/api/conversations/{conversation_id}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert history.status_code == 200, history.content
    return {"web": page, "api": history.content.decode()}


def first_answer_from_hr(client, alice, echo, hr_document) -> int:  # type: ignore[no-untyped-def]
    client.force_login(alice)
    events = ask(client, QUESTION)
    done = events[-1]
    assert done["type"] == "done"
    assert CANARY in done["content"], "the echo model should have repeated the HR passage"
    assert hr_document.pk in {c["document_id"] for c in done["citations"]}
    return int(events[0]["conversation_id"])


def assert_gone(client, alice, echo, conversation_id: int) -> None:  # type: ignore[no-untyped-def]
    shown = surfaces_seen_by(client, alice, conversation_id)
    for surface, text in shown.items():
        assert not leaked(text), (surface, leaked(text))
        assert SOURCE_GONE in text, surface
    api = json.loads(shown["api"])
    answer = next(m for m in api["messages"] if m["role"] == "assistant")
    assert answer["withheld"] is True
    assert answer["content"] == ANSWER_WITHHELD
    gone = [c for c in answer["citations"] if not c["available"]]
    assert gone == [
        {
            "n": gone[0]["n"] if gone else None,
            "chunk_id": None,
            "document_id": None,
            "title": SOURCE_GONE,
            "location": "",
            "snippet": "",
            "available": False,
        }
    ]
    # The org-wide source is still shown as it was.
    assert all(c["document_id"] is not None for c in answer["citations"] if c["available"])

    # The next prompt built for Alice in this conversation holds none of the old answer.
    echo.prompts.clear()
    conversation = Conversation.objects.get(pk=conversation_id)
    pipeline.answer(user=alice, question=FOLLOW_UP, conversation=conversation, surface=Surface.WEB)
    assert echo.prompts, "the model was not asked"
    prompt = json.dumps(echo.prompts[-1])
    assert not leaked(prompt), leaked(prompt)


@pytest.mark.django_db(transaction=True)
def test_a_deleted_document_leaves_no_title_snippet_or_text_in_old_conversations(
    client, alice, echo, hr_document
):  # type: ignore[no-untyped-def]
    conversation_id = first_answer_from_hr(client, alice, echo, hr_document)
    before = surfaces_seen_by(client, alice, conversation_id)
    assert CANARY in before["web"] and CANARY in before["api"]

    document_delete(document=hr_document)

    assert_gone(client, alice, echo, conversation_id)


@pytest.mark.django_db(transaction=True)
def test_leaving_the_group_hides_its_documents_in_old_conversations_until_access_returns(
    client, alice, groups, echo, hr_document
):  # type: ignore[no-untyped-def]
    conversation_id = first_answer_from_hr(client, alice, echo, hr_document)

    alice.groups.remove(groups["HR"])

    assert_gone(client, alice, echo, conversation_id)

    # Back in HR: the answer and its source are shown again (nothing was purged).
    alice.groups.add(groups["HR"])
    again = surfaces_seen_by(client, alice, conversation_id)
    assert CANARY in again["web"] and TITLE in again["web"]
    assert CANARY in again["api"]


@pytest.mark.django_db(transaction=True)
def test_history_keeps_the_turns_whose_sources_the_asker_still_reads(
    alice, groups, echo, hr_document
):  # type: ignore[no-untyped-def]
    conversation = pipeline.conversation_start(user=alice, question=QUESTION, surface=Surface.CLI)
    pipeline.answer(user=alice, question=QUESTION, conversation=conversation, surface=Surface.CLI)
    turns = pipeline.conversation_history(conversation, user=alice)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert CANARY in turns[1].content

    alice.groups.remove(groups["HR"])

    assert pipeline.conversation_history(conversation, user=alice) == []


@pytest.mark.django_db(transaction=True)
def test_the_command_line_continues_a_conversation_without_lost_sources(
    alice, groups, echo, hr_document
):  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("ask", QUESTION, user="alice", stdout=out)
    assert CANARY in out.getvalue()
    conversation = Conversation.objects.get(owner=alice)

    document_delete(document=hr_document)
    echo.prompts.clear()
    out = StringIO()
    call_command("ask", FOLLOW_UP, user="alice", conversation=conversation.pk, stdout=out)
    assert not leaked(out.getvalue())
    assert not leaked(json.dumps(echo.prompts))
