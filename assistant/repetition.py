"""Loops in a generated answer: small models repeat a phrase or a sentence until max_tokens.

The pipeline stops the model at the first sign of a loop (closing the stream cancels generation,
which frees the model server for other people) and keeps the answer up to the loop. Sampling
penalties were measured as the alternative and made the model paraphrase its sources instead of
quoting them (docs/BENCHMARKS.md); this check changes nothing until the text repeats itself.

A streamed answer is checked with a `LoopDetector`, fed piece by piece: it keeps what it learnt
from the finished words, so each piece costs work in proportion to its own length, never to the
answer's. Every pattern here runs in linear time: model and document text is untrusted.
"""

from __future__ import annotations

import hashlib
import re

_WORD = re.compile(r"\S+")
# A list item whose number the model wrote twice ("1. 1. Parents can ..."), which Markdown would
# show as a list nested in a list.
_DOUBLED_COUNTER = re.compile(r"^([ \t]*)(\d{1,3})([.)])[ \t]+\2\3[ \t]+", re.MULTILINE)
_NON_WORD = re.compile(r"\W+")
# Citation markers and list numbers change from one saying of a loop to the next ("[5] The car
# ...", "[6] The car ..."; "8. Open an account", "9. Open an account"): they count as one word.
_COUNTER = re.compile(r"\[\d{1,3}\]|\d{1,3}[.)]")
_MARKER = re.compile(r"\[\d{1,3}\]")
_BREAK = re.compile(r"\n|[.!?](?=\s)")
# A plain number ("10", "1,500", "2.5"); "E4" and "24GB" are words. Trailing punctuation other
# than . and , starts the tail, so the two quantifiers never compete for a character.
_NUMBER = re.compile(r"\W*\d[\d.,]*(?:[^\w.,]\W*)?")
_INTEGER = re.compile(r"\W*(\d{1,6})\W*")
# A sentence ends at . ! or ? followed by white space or the end ("UFS 3.1" and "www.x.com" go
# on), and a line break ends whatever sentence is open.
_SENTENCE_STOPS = ".!?"

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
# While streaming, a word still being written that is longer than this (a URL, a run of symbols)
# is judged once it is finished, so a piece never costs more than this much re-reading.
MAX_PENDING_WORD = 100
# The phrase checks only ever look this many words back from the end.
_TAIL = MAX_PHRASE_WORDS * max(REPEATS, TEMPLATE_REPEATS) + 1

# Words are compared by id; these two keys have fixed ids: a word without letters or digits, and
# a counter ("[5]", "8.") or, for templates, a number.
_BLANK, _COUNTED = 0, 1
_UNKNOWN = -1


def _word(raw: str) -> str:
    return "#" if _COUNTER.fullmatch(raw) else _NON_WORD.sub("", raw.lower())


def _template_word(raw: str) -> str:
    return "#" if _NUMBER.fullmatch(raw) else _word(raw)


def _sentence_words(raw: str) -> list[str]:
    # White space never falls inside a marker, and case mapping never looks across it, so a
    # sentence's normal form is the normal forms of its words, joined.
    return _NON_WORD.sub(" ", _MARKER.sub(" ", raw).lower()).split()


def _integer(raw: str) -> int | None:
    match = _INTEGER.fullmatch(raw)
    return int(match.group(1)) if match else None


def _phrase_length(ids: list[int], size: int, *, repeats: int, min_words: int) -> int | None:
    """The word count of a phrase said `repeats` times at the end of `ids[:size]`, if any."""
    for n in range(1, MAX_PHRASE_WORDS + 1):
        need = n * repeats
        if size < need:
            break
        # A phrase said again and again is periodic: most lengths fail on the last word already.
        if ids[size - 1] != ids[size - 1 - n]:
            continue
        first = size - need
        if sum(1 for i in range(first, first + n) if ids[i] not in (_BLANK, _COUNTED)) < min_words:
            continue
        if all(ids[i] == ids[i - n] for i in range(first + n, size)):
            return n
    return None


class LoopDetector:
    """Finds where an answer starts repeating itself, fed piece by piece as it streams.

    `feed` returns where the loop begins (what to cut from) once there is one, and from then on
    always that: what `loop_start` says of the text so far, except that an unfinished last word
    longer than MAX_PENDING_WORD is judged once it is finished.
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []  # the text so far, joined only when a loop is found
        self._length = 0
        self._ids: dict[str, int] = {"": _BLANK, "#": _COUNTED}
        # The finished words (white space follows them): where they are, and their keys' ids.
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._exact: list[int] = []
        self._template: list[int] = []
        # The word still being written at the end of the text.
        self._pending: list[str] = []
        self._pending_start = 0
        self._pending_length = 0
        # The run of bare integers counting up by one that the finished words end with.
        self._run_start = 0
        self._run = 0
        self._previous: int | None = None
        self._counting: int | None = None
        # The open sentence: where it starts, a digest of its normal form so far and its word
        # count; digests of the finished sentences of MIN_SENTENCE_WORDS words or more.
        self._sentence_start = 0
        self._sentence = hashlib.blake2b(digest_size=16)
        self._sentence_length = 0
        self._seen: set[bytes] = set()
        self._repeated_sentence: int | None = None
        self._found: int | None = None
        # Characters read so far, counting re-reads: tests use it to show the work is linear.
        self.examined = 0

    def feed(self, piece: str) -> int | None:
        """Add the next piece of the answer; where the loop begins, once there is one."""
        if self._found is None:
            self._add(piece)
            self._found = self._check(final=False)
        return self._found

    def _add(self, piece: str) -> None:
        offset = self._length
        self._pieces.append(piece)
        self._length += len(piece)
        self.examined += len(piece)
        position = 0
        if self._pending:
            rest = _WORD.match(piece)
            if rest:
                self._pending.append(rest.group())
                self._pending_length += len(rest.group())
                position = rest.end()
            if position < len(piece):
                self._finish_pending()
        for match in _WORD.finditer(piece, position):
            self._gap(piece, position, match.start(), offset)
            if match.end() < len(piece):
                self._finish_word(offset + match.start(), match.group())
            else:
                self._pending = [match.group()]
                self._pending_start = offset + match.start()
                self._pending_length = len(match.group())
            position = match.end()
        self._gap(piece, position, len(piece), offset)

    def _gap(self, piece: str, start: int, end: int, offset: int) -> None:
        # A line break ends the open sentence, which never ended with a stop: it is not one.
        newline = piece.rfind("\n", start, end)
        if newline >= 0:
            self._open_sentence(offset + newline + 1)

    def _finish_pending(self) -> None:
        raw = "".join(self._pending)
        self._pending = []
        self._pending_length = 0
        self._finish_word(self._pending_start, raw)

    def _finish_word(self, start: int, raw: str) -> None:
        self.examined += len(raw)
        self._starts.append(start)
        self._ends.append(start + len(raw))
        self._exact.append(self._ids.setdefault(_word(raw), len(self._ids)))
        self._template.append(self._ids.setdefault(_template_word(raw), len(self._ids)))
        value = _integer(raw)
        if value is not None and self._previous is not None and value == self._previous + 1:
            self._run += 1
        else:
            self._run_start, self._run = start, 1 if value is not None else 0
        self._previous = value
        if self._run >= COUNTING_RUN and self._counting is None:
            self._counting = self._run_start
        for word in _sentence_words(raw):
            self._sentence.update(self._joined(word))
            self._sentence_length += 1
        if raw[-1] in _SENTENCE_STOPS:  # and white space follows: the sentence ends here
            if self._sentence_length >= MIN_SENTENCE_WORDS:
                key = self._sentence.digest()
                if key in self._seen and self._repeated_sentence is None:
                    self._repeated_sentence = self._sentence_start
                self._seen.add(key)
            self._open_sentence(start + len(raw))

    def _open_sentence(self, start: int) -> None:
        self._sentence_start = start
        self._sentence = hashlib.blake2b(digest_size=16)
        self._sentence_length = 0

    def _joined(self, word: str) -> bytes:
        separated = f" {word}" if self._sentence_length else word
        return separated.encode("utf-8", "surrogatepass")

    def _check(self, *, final: bool) -> int | None:
        """Where the loop begins in the text so far; `final` judges a long unfinished last word
        too (a whole text has no next piece to wait for)."""
        if self._counting is not None:
            return self._counting
        pending = None
        if self._pending and (final or self._pending_length <= MAX_PENDING_WORD):
            pending = "".join(self._pending)
            self.examined += len(pending)
        if (
            pending is not None
            and self._previous is not None
            and self._run + 1 >= COUNTING_RUN
            and _integer(pending) == self._previous + 1
        ):
            return self._run_start
        exact, template = self._exact[-_TAIL:], self._template[-_TAIL:]
        last: dict[str, int] = {}
        if pending is not None:
            # Unfinished, so not given an id of its own: a new word equals no other.
            last = {
                "exact": self._ids.get(_word(pending), _UNKNOWN),
                "template": self._ids.get(_template_word(pending), _UNKNOWN),
            }
            exact.append(last["exact"])
            template.append(last["template"])
        # The last word may be cut in the middle ("high-"): look without it as well. A long
        # unfinished word not judged yet is left out of both looks.
        drops = (0, 1) if pending is not None or not self._pending else (0,)
        for drop in drops:
            for ids, repeats, min_words, kind in (
                (exact, REPEATS, 1, "exact"),
                (template, TEMPLATE_REPEATS, TEMPLATE_MIN_WORDS, "template"),
            ):
                n = _phrase_length(ids, len(ids) - drop, repeats=repeats, min_words=min_words)
                if n is not None:
                    return self._phrase_start(n, repeats, kind, last.get(kind), drop)
        if self._repeated_sentence is not None:
            return self._repeated_sentence
        if pending is not None and pending[-1] in _SENTENCE_STOPS:
            words = _sentence_words(pending)
            if self._sentence_length + len(words) >= MIN_SENTENCE_WORDS:
                sentence = self._sentence.copy()
                for index, word in enumerate(words):
                    separated = f" {word}" if self._sentence_length + index else word
                    sentence.update(separated.encode("utf-8", "surrogatepass"))
                if sentence.digest() in self._seen:
                    return self._sentence_start
        return None

    def _phrase_start(
        self, n: int, repeats: int, kind: str, pending_id: int | None, drop: int
    ) -> int:
        """Where the first saying of the phrase found at the end begins (read once, when found)."""
        ids = list(self._exact if kind == "exact" else self._template)
        starts, ends = list(self._starts), list(self._ends)
        if pending_id is not None:
            ids.append(pending_id)
            starts.append(self._pending_start)
            ends.append(self._pending_start + self._pending_length)
        count = len(ids) - drop
        phrase = ids[count - n * repeats : count - n * repeats + n]
        # Walk back over earlier sayings of the phrase and keep only the first.
        first = count - n * repeats
        while first >= n and ids[first - n : first] == phrase:
            first -= n
        end = ends[first + n - 1]
        # The phrase was read from the end of the text, so its first saying may run into the
        # next line or sentence ("... account [2]\n2. Open a"): stop at the last break in it.
        text = "".join(self._pieces)
        self._pieces = [text]
        breaks = [m.end() for m in _BREAK.finditer(text, starts[first], end)]
        return breaks[-1] if breaks else end


def loop_start(text: str) -> int | None:
    """Where the repetition begins in `text` (what to cut from), or None when there is none.

    Checks the end of the text for a repeated phrase (word for word, or but for its numbers),
    the text for bare integers counting up, and every finished sentence against the ones before
    it, so feeding a growing answer finds a loop as soon as it completes.
    """
    detector = LoopDetector()
    detector._add(text)
    return detector._check(final=True)


def _trim_dangling(text: str) -> str:
    """`text` without what a cut can leave dangling at its end: a comma, a colon, a dash, or a
    list item's number or bullet on a line of its own (said once or twice: "3. 3.")."""
    end = len(text)
    while True:
        cut = min(_dangling_punctuation(text, end), _dangling_list_marks(text, end))
        if cut == end:
            return text[:end]
        end = cut


def _dangling_punctuation(text: str, end: int) -> int:
    start = end
    while start > 0 and (text[start - 1].isspace() or text[start - 1] in ",;:–-"):
        start -= 1
    return start


def _dangling_list_marks(text: str, end: int) -> int:
    # Read back over white space, bullets and numbers ("3." or "3)"); the cut starts at the
    # first white space in them that holds a line break.
    start, position = end, end
    while position > 0:
        char = text[position - 1]
        if char.isspace():
            run = position
            while position > 0 and text[position - 1].isspace():
                position -= 1
            if "\n" in text[position:run]:
                start = position
        elif char in "-*•":
            position -= 1
        elif char in ".)" and position >= 2 and text[position - 2].isdecimal():
            position -= 1
            while position > 0 and text[position - 1].isdecimal():
                position -= 1
        else:
            break
    return start


def cut_loop(text: str) -> str:
    """`text` without its repetition (and what the cut leaves dangling), if it has one.

    List numbers the model wrote twice ("1. 1. Open the app") are written once.
    """
    text = _DOUBLED_COUNTER.sub(r"\1\2\3 ", text)
    start = loop_start(text)
    if start is None:
        return text
    return _trim_dangling(text[:start].rstrip())
