"""An answer sentence is judged with the passage it quotes: a line of the company's own security
handbook, which the asker may read, is delivered (flagged, with the passage that supports it named),
while the same sentence with no such passage in the prompt is still blocked.

The sentence is one the shipped classifier blocks on its own; the first test says so, so a retrained
classifier that stops blocking it fails there, not in the behaviour tests below.
"""

from __future__ import annotations

import moderation
from assistant.models import Message, ModerationEvent
from assistant.pipeline import answer
from tests.assistant.pipeline.conftest import FakeRetriever, passage

PROCEDURE = "Report any message saying someone will bring a gun and kill their manager"
HANDBOOK = f"{PROCEDURE}. Security answers the hotline day and night on extension 4400."
QUESTION = "Which threats do we report to security?"


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
    assert "gun" not in result.text
    assert "blocked by the content policy" in result.text
    event = ModerationEvent.objects.get(stage="output")
    assert event.action == "block" and "supported" not in event.rule
