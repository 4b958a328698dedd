"""Loops in a generated answer: small models repeat a phrase or a sentence until max_tokens.

The pipeline stops the model at the first sign of a loop (closing the stream cancels generation,
which frees the model server for other people) and keeps the answer up to the loop. Sampling
penalties were measured as the alternative and made the model paraphrase its sources instead of
quoting them (docs/BENCHMARKS.md); this check changes nothing until the text repeats itself.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\S+")
# A sentence ends at . ! or ? followed by a space or the end: "UFS 3.1" and "www.x.com" go on.
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\S))+[.!?](?=\s|$)")
# What a cut can leave dangling at the end: a list item's number or bullet (said once or twice:
# "3. 3."), a comma, a colon.
_DANGLING = re.compile(r"(?:\s*\n\s*(?:(?:\d+[.)]|[-*•])\s*)*)+$|[\s,;:–-]+$")
# A list item whose number the model wrote twice ("1. 1. Parents can ..."), which Markdown would
# show as a list nested in a list.
_DOUBLED_COUNTER = re.compile(r"^([ \t]*)(\d{1,3})([.)])[ \t]+\2\3[ \t]+", re.MULTILINE)
_NON_WORD = re.compile(r"\W+")
# Citation markers and list numbers change from one saying of a loop to the next ("[5] The car
# ...", "[6] The car ..."; "8. Open an account", "9. Open an account"): they count as one word.
_COUNTER = re.compile(r"\[\d{1,3}\]|\d{1,3}[.)]")
_MARKER = re.compile(r"\[\d{1,3}\]")
_BREAK = re.compile(r"\n|[.!?](?=\s)")
# A plain number ("10", "1,500", "2.5"); "E4" and "24GB" are words.
_NUMBER = re.compile(r"\W*\d[\d.,]*\W*")

# A phrase of up to MAX_PHRASE_WORDS words said REPEATS times in a row ("high-end, high-end,
# high-end") is a loop; so is a sentence of at least MIN_SENTENCE_WORDS words said twice.
REPEATS = 3
MAX_PHRASE_WORDS = 12
MIN_SENTENCE_WORDS = 4
# A model that counts up ("Daily allowance is 10 euros; Daily allowance is 15 euros; ...") says
# the same phrase with other numbers: one with at least TEMPLATE_MIN_WORDS words besides its
# numbers, said TEMPLATE_REPEATS times in a row, is a loop too. A list from a document rarely
# keeps every word but the numbers for five items; "12 GB, 16 GB or 24 GB" has one such word.
TEMPLATE_REPEATS = 5
TEMPLATE_MIN_WORDS = 3
# A model that just counts ("The locker sizes are: 1, 2, 3, 4, 5, 6, 7, ...") writes bare
# integers, each one more than the last: COUNTING_RUN of them in a row is a loop. Lists taken
# from documents (sizes, prices, years) do not go up by exactly one that long.
COUNTING_RUN = 8
_INTEGER = re.compile(r"\W*(\d{1,6})\W*")


def _normal(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", _MARKER.sub(" ", text).lower()).split())


def _word(raw: str) -> str:
    return "#" if _COUNTER.fullmatch(raw) else _NON_WORD.sub("", raw.lower())


def _template_word(raw: str) -> str:
    return "#" if _NUMBER.fullmatch(raw) else _word(raw)


def _repeated_phrase(
    text: str, words: list[tuple[int, int, str]], *, repeats: int, min_words: int
) -> int | None:
    """Where the first saying of a phrase said `repeats` times at the end of `text` ends."""
    for n in range(1, MAX_PHRASE_WORDS + 1):
        need = n * repeats
        if len(words) < need:
            break
        tail = [word for _, _, word in words[-need:]]
        if sum(1 for word in tail[:n] if word and word != "#") < min_words:
            continue
        if all(tail[i] == tail[i % n] for i in range(need)):
            # Walk back over earlier sayings of the phrase and keep only the first.
            first = len(words) - need
            while first >= n and [word for _, _, word in words[first - n : first]] == tail[:n]:
                first -= n
            end = words[first + n - 1][1]
            # The phrase was read from the end of the text, so its first saying may run into the
            # next line or sentence ("... account [2]\n2. Open a"): stop at the last break in it.
            breaks = [m.end() for m in _BREAK.finditer(text, words[first][0], end)]
            return breaks[-1] if breaks else end
    return None


def _counting(matches: list[re.Match[str]]) -> int | None:
    """Where a run of COUNTING_RUN bare integers counting up by one begins, if there is one."""
    run_start, run, previous = 0, 0, None
    for match in matches:
        number = _INTEGER.fullmatch(match.group(0))
        value = int(number.group(1)) if number else None
        if value is not None and previous is not None and value == previous + 1:
            run += 1
        else:
            run_start, run = match.start(), 1 if value is not None else 0
        previous = value
        if run >= COUNTING_RUN:
            return run_start
    return None


def loop_start(text: str) -> int | None:
    """Where the repetition begins in `text` (what to cut from), or None when there is none.

    Checks the end of the text for a repeated phrase (word for word, or but for its numbers),
    the text for bare integers counting up, and every finished sentence against the ones before
    it, so feeding a growing answer finds a loop as soon as it completes.
    """
    matches = list(_WORD.finditer(text))
    counting = _counting(matches)
    if counting is not None:
        return counting
    exact = [(m.start(), m.end(), _word(m.group(0))) for m in matches]
    template = [(m.start(), m.end(), _template_word(m.group(0))) for m in matches]
    # An answer that ran out of tokens ends in the middle of a word: look without it as well.
    for drop in (0, 1):
        for words, repeats, min_words in (
            (exact, REPEATS, 1),
            (template, TEMPLATE_REPEATS, TEMPLATE_MIN_WORDS),
        ):
            start = _repeated_phrase(
                text, words[: len(words) - drop], repeats=repeats, min_words=min_words
            )
            if start is not None:
                return start
    seen: set[str] = set()
    for match in _SENTENCE.finditer(text):
        key = _normal(match.group(0))
        if len(key.split()) < MIN_SENTENCE_WORDS:
            continue
        if key in seen:
            return match.start()  # keep everything before the repeated sentence
        seen.add(key)
    return None


def cut_loop(text: str) -> str:
    """`text` without its repetition (and what the cut leaves dangling), if it has one.

    List numbers the model wrote twice ("1. 1. Open the app") are written once.
    """
    text = _DOUBLED_COUNTER.sub(r"\1\2\3 ", text)
    start = loop_start(text)
    if start is None:
        return text
    kept = text[:start].rstrip()
    while (tidier := _DANGLING.sub("", kept)) != kept:
        kept = tidier
    return kept
