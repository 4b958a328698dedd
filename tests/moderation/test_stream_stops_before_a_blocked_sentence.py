from __future__ import annotations

from moderation import Action, StreamModerator, load_policy

POLICY = load_policy({"detectors": ["tests.moderation.fake_detectors:forbidden_word", "pii"]})


def stream(moderator: StreamModerator, text: str, step: int = 3) -> list[str]:
    """Feed text in small token-like pieces, as the model server streams it."""
    out = [moderator.feed(text[i : i + step]) for i in range(0, len(text), step)]
    return [*out, moderator.finish()]


def test_safe_sentences_are_released_and_the_flagged_one_never_is() -> None:
    moderator = StreamModerator(policy=POLICY)
    answer = "The policy allows 25 days. Ask HR for details. Now the FORBIDDEN part. More text."
    emitted = "".join(stream(moderator, answer))
    assert emitted == "The policy allows 25 days. Ask HR for details. "
    assert moderator.blocked
    assert moderator.block_verdict is not None
    assert moderator.block_verdict.categories == ("violence_and_threats",)
    assert moderator.feed("anything after the block. ") == ""


def test_nothing_is_released_before_a_sentence_is_complete() -> None:
    moderator = StreamModerator(policy=POLICY)
    assert moderator.feed("The policy allows") == ""
    assert moderator.feed(" 25 days. Ask") == "The policy allows 25 days. "
    assert moderator.finish() == "Ask"
    assert not moderator.blocked
    assert [v.action for v in moderator.verdicts] == [Action.ALLOW, Action.ALLOW]


def test_pii_is_redacted_as_it_streams() -> None:
    moderator = StreamModerator(policy=POLICY)
    emitted = "".join(stream(moderator, "Write to jane.doe@example.com today. Thanks."))
    assert emitted == "Write to [EMAIL] today. Thanks."
    assert not moderator.blocked


def test_a_failing_check_stops_the_stream_instead_of_raising() -> None:
    broken = load_policy({"detectors": ["tests.moderation.fake_detectors:explode"]})
    moderator = StreamModerator(policy=broken)
    assert moderator.feed("First sentence. ") == ""
    assert moderator.blocked
    assert moderator.block_verdict is not None and moderator.block_verdict.errors
