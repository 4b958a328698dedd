"""At output, a sentence blocked for a harm category alone is flagged instead when it quotes or closely
paraphrases one of the prompt's passages (at least 60% of its content words in one passage). Personal
data, injections, detector errors, short sentences and unsupported sentences keep their action."""

from __future__ import annotations

import pytest

from moderation import Action, Stage, StreamModerator, load_policy
from moderation.check import check, downgrade_supported, supporting_passages
from moderation.features import TextFeatures
from moderation.registry import Detection

FAKE = "tests.moderation.fake_detectors"
HERE = "tests.moderation.test_a_blocked_sentence_that_quotes_a_readable_passage_is_flagged_instead"
POLICY = load_policy({"detectors": [f"{FAKE}:forbidden_word", "pii"]})
PASSAGES = (
    "Leave policy. Parental leave is 20 weeks.",
    "Lab handbook. In a FORBIDDEN area evacuate the lab and neutralise the acid spill before cleaning.",
)
QUOTE = "In a FORBIDDEN area, evacuate the lab and neutralise the acid spill [2]. "


def injection_when_forbidden(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """An injection score, for a policy that blocks injections at output."""
    return Detection(scores={"prompt_injection": 1.0 if "FORBIDDEN" in text else 0.0})


def released(moderator: StreamModerator, text: str) -> str:
    return moderator.feed(text) + moderator.finish()


def test_a_harm_block_on_a_quoting_sentence_becomes_a_flag_that_names_the_passage():
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=POLICY, passages=PASSAGES)

    assert released(moderator, QUOTE) == QUOTE
    assert not moderator.blocked
    (verdict,) = moderator.verdicts
    assert verdict.action is Action.FLAG
    assert verdict.supported_by == (2,)
    assert verdict.rule is not None
    assert verdict.rule.startswith("output.violence_and_threats: flag (supported by passage [2]")
    assert verdict.decisive == ("violence_and_threats",)
    assert verdict.to_dict()["supported_by"] == [2]


def test_without_the_passage_the_same_sentence_is_blocked():
    for passages in [(), PASSAGES[:1]]:
        moderator = StreamModerator(stage=Stage.OUTPUT, policy=POLICY, passages=passages)
        assert released(moderator, QUOTE) == ""
        assert moderator.blocked
        assert moderator.block_verdict is not None
        assert moderator.block_verdict.supported_by == ()
        assert "supported" not in (moderator.block_verdict.rule or "")


def test_a_harmful_sentence_riding_along_with_a_quoted_one_keeps_the_block():
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=POLICY, passages=PASSAGES)
    # Together the two share 70% of their words with the handbook; the second alone shares 25%.
    piece = QUOTE + "Then spread FORBIDDEN poison in the ducts. "

    assert released(moderator, piece) == ""
    assert moderator.blocked


def test_a_short_sentence_is_not_support_enough():
    # Every content word of "FORBIDDEN lab." is in the handbook, but two words quote nothing.
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=POLICY, passages=PASSAGES)

    assert released(moderator, "FORBIDDEN lab. ") == ""
    assert moderator.blocked


def test_personal_data_keeps_its_redaction_when_the_harm_block_is_lifted():
    passages = (f"{PASSAGES[1]} Report it to safety@example.com.",)
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=POLICY, passages=passages)
    text = "In a FORBIDDEN area evacuate the lab and report it to safety@example.com. "

    assert released(moderator, text) == (
        "In a FORBIDDEN area evacuate the lab and report it to [EMAIL]. "
    )
    (verdict,) = moderator.verdicts
    assert verdict.action is Action.REDACT and verdict.supported_by == (1,)


@pytest.mark.parametrize(
    "policy",
    [
        # personal data that blocks
        {
            "detectors": [f"{FAKE}:forbidden_word", "pii"],
            "stages": {"output": {"rules": {"pii": {"action": "block"}}}},
        },
        # an injection that blocks at output
        {
            "detectors": [f"{FAKE}:forbidden_word", f"{HERE}:injection_when_forbidden"],
            "stages": {"output": {"rules": {"prompt_injection": {"action": "block"}}}},
        },
        # a detector that fails
        {"detectors": [f"{FAKE}:forbidden_word", f"{FAKE}:explode"]},
    ],
    ids=["pii", "prompt_injection", "detector error"],
)
def test_blocks_for_anything_but_harm_are_never_lifted(policy):
    policy = load_policy(policy)
    text = "In a FORBIDDEN area evacuate the lab and write to safety@example.com. "
    passages = (f"{PASSAGES[1]} Write to safety@example.com.",)
    verdict = check(text, stage=Stage.OUTPUT, policy=policy)
    assert verdict.blocked

    assert downgrade_supported(verdict, text, passages=passages, policy=policy) is verdict
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=policy, passages=passages)
    assert released(moderator, text) == ""
    assert moderator.blocked


def test_support_is_the_share_of_content_words_in_one_passage():
    passages = ("alpha bravo charlie delta echo", "foxtrot golf hotel india juliet")
    # 3 of 5 content words in the first passage: 0.6 is enough.
    assert supporting_passages("alpha bravo charlie kilo lima.", passages) == (1,)
    # 2 of 5 in each passage: no single passage supports it.
    assert supporting_passages("alpha bravo foxtrot golf lima.", passages) == ()
    # Citation markers are not words of the sentence ("12" would make it 3 of 6).
    assert supporting_passages("Foxtrot golf hotel kilo lima [12].", passages) == (2,)
