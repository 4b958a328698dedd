"""The streaming loop detector does work in proportion to the answer, not to its length squared.

Checking the whole answer again after every token made a long answer quadratic; the detector keeps
what it learnt from finished words, so its work is counted here in characters read.
"""

from __future__ import annotations

import random

import pytest

from assistant.repetition import MAX_PENDING_WORD, LoopDetector

WORDS = (  # noqa: SIM905 - a word list reads best as text
    "leave policy employees weeks paid parental office closes august travel hotel limit euros "
    "night receipts manager approval expenses claim within thirty days contract notice period "
    "probation review salary band bonus pension scheme health insurance dental cover laptop"
).split()


def prose(length: int) -> str:
    """Varied sentences without a loop: random words, so no phrase or sentence comes back."""
    rng = random.Random(length)
    sentences: list[str] = []
    size = 0
    while size < length:
        sentence = " ".join(rng.sample(WORDS, 9)).capitalize() + ". "
        sentences.append(sentence)
        size += len(sentence)
    return "".join(sentences)[:length]


ANSWERS = {
    "prose": prose,
    "one endless word": lambda length: "x" * length,
    "stops without spaces": lambda length: "a." * (length // 2),
    "blank lines": lambda length: "\n" * length,
    "brackets and hashes": lambda length: "[#]" * (length // 3),
}


def read(answer: str, piece: int = 4) -> tuple[int | None, int, int]:
    """Feed `answer` in pieces of `piece` characters: (loop start, characters read, pieces)."""
    detector = LoopDetector()
    found = None
    pieces = 0
    for start in range(0, len(answer), piece):
        found = detector.feed(answer[start : start + piece])
        pieces += 1
    return found, detector.examined, pieces


@pytest.mark.parametrize("kind", ANSWERS)
def test_a_100k_answer_streamed_token_by_token_is_read_in_linear_work(kind):
    answer = ANSWERS[kind](100_000)

    found, examined, pieces = read(answer)

    assert found is None  # no loop, so every piece was looked at
    # Each piece is scanned once, each finished word read once more, and the unfinished last word
    # at most MAX_PENDING_WORD characters per piece: re-reading the answer would be ~10^9.
    assert examined <= 2 * len(answer) + (MAX_PENDING_WORD + 1) * pieces


@pytest.mark.parametrize("kind", ANSWERS)
def test_twice_the_answer_costs_twice_the_work(kind):
    _, half, _ = read(ANSWERS[kind](50_000))
    _, whole, _ = read(ANSWERS[kind](100_000))

    assert whole <= 2.2 * half
