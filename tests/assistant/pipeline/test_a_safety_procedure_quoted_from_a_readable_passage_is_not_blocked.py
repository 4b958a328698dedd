"""An answer sentence is judged with the passage it quotes: a safety procedure from the company's own
handbook, which the asker may read, is delivered (flagged, with the passage that supports it named),
while the same sentence with no such passage in the prompt is still blocked."""

from __future__ import annotations

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


def test_the_real_check_blocks_the_sentence_on_its_own():
    verdict = moderation.check(f"{PROCEDURE} [1].", stage=moderation.Stage.OUTPUT)
    assert verdict.blocked and set(verdict.decisive) <= {
        "violence_and_threats",
        "dangerous_and_criminal_content",
    }


def test_a_sentence_quoted_from_a_passage_in_the_prompt_is_delivered(alice, model):
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


def test_the_same_sentence_without_such_a_passage_is_blocked(alice, model):
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
