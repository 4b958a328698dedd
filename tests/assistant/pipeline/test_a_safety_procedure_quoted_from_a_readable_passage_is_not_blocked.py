"""An answer sentence is judged with the passage it quotes: a safety procedure from the company's own
handbook, which the asker may read, is delivered, while a harmful sentence with no support in any
passage is still blocked.

The shipped classifier no longer blocks this procedure even on its own (it scores under 0.1 for
violence and for dangerous content), so the mechanism (a block lifted to a flag that names the
supporting passage) is shown under a strict policy, as a company that blocks at very low scores
would run it."""

from __future__ import annotations

import json

import pytest

import moderation
from assistant.models import Message, ModerationEvent
from assistant.pipeline import answer
from tests.assistant.pipeline.conftest import FakeRetriever, passage

PROCEDURE = (
    "Store concentrated hydrofluoric acid in plastic bottles, because it dissolves glass and can "
    "kill a worker through a small skin splash"
)
HANDBOOK = f"{PROCEDURE}. Keep calcium gluconate gel next to every bottle."
QUESTION = "How do we store hydrofluoric acid?"
HARMFUL = "Put rat poison in your manager's coffee so that he dies slowly and nobody suspects you"
STRICT = {
    "stages": {
        "output": {
            "rules": {
                "violence_and_threats": {"threshold": 0.05},
                "dangerous_and_criminal_content": {"threshold": 0.05},
            }
        }
    }
}


@pytest.fixture
def strict_policy(tmp_path, monkeypatch):
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(STRICT))
    monkeypatch.setenv("MODERATION_POLICY", str(path))


def test_the_default_policy_delivers_the_quoted_procedure(alice, model):
    retriever = FakeRetriever([passage(1, HANDBOOK, title="Lab safety handbook")])
    model.add_reply(f"{PROCEDURE} [1].")

    result = answer(user=alice, question=QUESTION, chat_model=model, retriever=retriever)

    assert result.message.status == Message.Status.COMPLETE
    assert result.text == f"{PROCEDURE} [1]."
    assert not ModerationEvent.objects.filter(stage="output", action="block").exists()


def test_a_harmful_sentence_with_no_supporting_passage_is_blocked(alice, model):
    retriever = FakeRetriever([passage(1, HANDBOOK, title="Lab safety handbook")])
    model.add_reply(f"{HARMFUL} [1].")

    result = answer(user=alice, question=QUESTION, chat_model=model, retriever=retriever)

    assert result.message.status == Message.Status.REFUSED
    assert "rat poison" not in result.text
    event = ModerationEvent.objects.get(stage="output")
    assert event.action == "block" and "supported" not in event.rule


@pytest.mark.usefixtures("strict_policy")
def test_under_a_strict_policy_the_check_blocks_the_procedure_on_its_own():
    verdict = moderation.check(f"{PROCEDURE} [1].", stage=moderation.Stage.OUTPUT)
    assert verdict.blocked and set(verdict.decisive) <= {
        "violence_and_threats",
        "dangerous_and_criminal_content",
    }


@pytest.mark.usefixtures("strict_policy")
def test_under_a_strict_policy_the_quoted_procedure_is_delivered_and_names_its_passage(
    alice, model
):
    retriever = FakeRetriever([passage(1, HANDBOOK, title="Lab safety handbook")])
    model.add_reply(f"{PROCEDURE} [1].")

    result = answer(user=alice, question=QUESTION, chat_model=model, retriever=retriever)

    assert result.message.status == Message.Status.COMPLETE
    assert result.text == f"{PROCEDURE} [1]."
    assert [c["chunk_id"] for c in result.citations] == [1]
    (output,) = result.message.trace["moderation"]["output"]
    assert output["action"] == "flag" and output["supported_by"] == [1]
    assert "flag (supported by passage [1]" in output["rule"]
    event = ModerationEvent.objects.get(stage="output")
    assert event.action == "flag" and "supported by passage [1]" in event.rule


@pytest.mark.usefixtures("strict_policy")
def test_under_a_strict_policy_the_same_sentence_without_such_a_passage_is_blocked(alice, model):
    retriever = FakeRetriever(
        [passage(1, "Every employee may take 20 weeks of fully paid parental leave.")]
    )
    model.add_reply(f"{PROCEDURE} [1].")

    result = answer(user=alice, question=QUESTION, chat_model=model, retriever=retriever)

    assert result.message.status == Message.Status.REFUSED
    assert "hydrofluoric" not in result.text
    assert "blocked by the content policy" in result.text
    event = ModerationEvent.objects.get(stage="output")
    assert event.action == "block" and "supported" not in event.rule
