"""PII detection and the streamed output check finish on any text of up to 100,000 characters.

Patterns that re-read a run of characters from each of its positions (an e-mail's local part with
no "@", a secret's long name, a run of full stops) took minutes on such text. Each call gets a
CPU-time budget that only a hang would exceed.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from moderation.pii import find_pii, redact
from moderation.policy import load_policy
from moderation.stream import StreamModerator
from moderation.verdict import Stage
from tests.budget import repeated_pieces, within_budget

PIECES = [
    "a", "Z", "1", "9", ".", "_", "-", "%", "+", "@", ":", "=", " ", "\n", "'", "\"", "(", ")",
    "!", "?", "…", "token", "api_key", "secret", "x@y.", "-----BEGIN RSA PRIVATE KEY-----",
    "4111 ", "192.168.", "+1 ", "DE89", "é",
]  # fmt: skip
MAX_LENGTH = 100_000


def find_and_redact(text: str) -> str:
    return redact(text, find_pii(text))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=repeated_pieces(PIECES, MAX_LENGTH))
def test_pii_is_found_and_redacted_within_budget(text):
    within_budget(find_and_redact, text)


@pytest.mark.parametrize(
    "text",
    [
        "a." * 50_000,  # an e-mail's local part without an "@"
        "token." * 16_000 + ": short",  # a secret's name without a long enough value
        "-----BEGIN RSA PRIVATE KEY-----\n" * 3_000,  # begin lines without an end line
        "1.2.3.4 " * 12_000,  # many matches, each checked against those already taken
        "a=" * 50_000,  # names each followed by a value that runs to the end of the text
    ],
)
def test_known_slow_inputs_are_read_within_budget(text):
    within_budget(find_and_redact, text)


def stream(text: str) -> str:
    # PII is the only detector here: the stream's own splitting and the patterns are what is timed.
    moderator = StreamModerator(stage=Stage.OUTPUT, policy=load_policy({"detectors": ["pii"]}))
    shown = [moderator.feed(text[i : i + 4]) for i in range(0, len(text), 4)]
    return "".join(shown) + moderator.finish()


@pytest.mark.parametrize("text", ["." * 100_000, "!)" * 50_000, "a.." * 33_000, "…" * 100_000])
def test_a_streamed_answer_of_stops_is_checked_within_budget(text):
    assert within_budget(stream, text, seconds=10) == text
