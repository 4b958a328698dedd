"""Citations: resolve [n] markers to passages and check that each cited passage supports its sentence.

The check is lexical: the share of a sentence's content words that also occur in the cited passage
as the model read it (title, location and text).
It is cheap, explainable in the UI ("this passage does not mention ..."), and tuned on the enterprise
evaluation set (see docs/BENCHMARKS.md). Sentences the model left uncited get the passage that
supports them best, when one does, so small models that forget markers still produce checked sources.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Protocol

# A citation marker: "[3]", with the one white space before it that goes when it is removed.
# Markers are read by `strip_markers`, a scan, so that nested brackets ("[[1]2]") cannot leave a
# marker behind in the text.
MARKER = re.compile(r"\s?\[(\d{1,2})\]")
# A sentence ends at a line break, or at . ! or ? followed by white space, unless what follows
# starts in lower case ("ZX Bank Ltd. won ...") or what precedes is a title or a Latin
# abbreviation ("Dr. Rao", "e.g. Pune") or a list item's number at the start of a line ("1. ").
_BREAK = re.compile(r"[.!?]\s+|\n+")
# Only the end of the sentence so far is read (a window of _ABBREVIATION_WINDOW characters), so a
# long run of non-ends costs no re-reading; a line break stands for the start of the sentence.
_ABBREVIATION = re.compile(
    r"[\s(](?:mr|mrs|ms|dr|prof|st|no|nos|vs|approx|rs|e\.g|i\.e|cf|fig)\.$", re.IGNORECASE
)
_ABBREVIATION_WINDOW = 10
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    (  # noqa: SIM905 - a word list reads best as text
        "a an and are as at be been but by can could did do does for from had has have he her his how i "
        "if in into is it its may might more most must no not of on or our she should so such than that "
        "the their them then there these they this those to under up was we were what when where which "
        "while who why will with would you your about also any all each per via"
    ).split()
)

# Share of a sentence's content words that must appear in the passage it cites. This and the two
# weights below were tuned on ../shared/eval/enterprise by replaying the drafts of five evaluation
# runs (293 answers) through the checker; see docs/BENCHMARKS.md.
SUPPORT_THRESHOLD = 0.3
# Sentences shorter than this (in content words) get no source attributed: "Yes." needs none.
MIN_CHECKED_WORDS = 3
# An uncited sentence goes to the passage that supports it best, counting QUESTION_WEIGHT times the
# passage's overlap with the question: a generic sentence ("ZX Bank offers loans") is supported by
# many documents of one company alike, and the question says which of them the answer is about.
# Passages within RANK_MARGIN of the best count as tied; a tie goes to a document already cited in
# the answer, then to the best-ranked passage.
QUESTION_WEIGHT = 0.3
RANK_MARGIN = 0.05
# An answer usually comes from one document. A passage of the answer's main document (the one whose
# passages hold most of the answer's and the question's words) that supports a sentence within
# DOCUMENT_MARGIN of the best passage gets the sentence, so a generic sentence that another
# document happens to phrase alike does not add a second source.
DOCUMENT_MARGIN = 0.2


class PassageLike(Protocol):
    chunk_id: int
    document_id: int
    title: str
    location: str
    text: str


def shown_text(passage: PassageLike) -> str:
    """A passage as the model reads it in the prompt: title, location, then text."""
    return f"{passage.title} {passage.location} {passage.text}"


@dataclass(frozen=True)
class Citation:
    """A source shown under an answer."""

    n: int
    chunk_id: int
    document_id: int
    title: str
    location: str
    snippet: str
    support: float
    added: bool  # attributed by the checker rather than written by the model

    def to_dict(self) -> dict[str, object]:
        """JSON form stored on the message and sent to clients."""
        return asdict(self)


@dataclass(frozen=True)
class CheckedAnswer:
    """The answer text after citation checking, with the sources it keeps."""

    text: str
    citations: list[Citation]
    removed: list[dict[str, object]]


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning (no stopwords, no one-letter tokens)."""
    return {
        w
        for w in (m.group(0).lower() for m in _WORD.finditer(text))
        if len(w) > 1 and w not in STOPWORDS
    }


def strip_markers(text: str) -> tuple[str, list[int]]:
    """`text` without its citation markers, and the numbers they cite, in order.

    Brackets are matched as they close, so a marker inside another ("[[1]2]", "[[1]]") is read
    too and the text left over never holds one.
    """
    kept: list[str] = []
    numbers: list[int] = []
    for char in text:
        if char == "]":
            digits = 0
            while digits < 2 and len(kept) > digits and kept[-1 - digits].isdecimal():
                digits += 1
            if digits and len(kept) > digits and kept[-1 - digits] == "[":
                numbers.append(int("".join(kept[-digits:])))
                del kept[-digits - 1 :]
                if kept and kept[-1].isspace():
                    kept.pop()
                continue
        kept.append(char)
    return "".join(kept), numbers


def support(sentence: str, passage_text: str) -> float:
    """Share of the sentence's content words found in the passage (0..1)."""
    return _support(content_words(strip_markers(sentence)[0]), content_words(passage_text))


def _support(words: set[str], passage_words: set[str]) -> float:
    if not words:
        return 1.0
    return len(words & passage_words) / len(words)


def _not_an_end(text: str, start: int, end: int) -> bool:
    """Whether the stop at `end - 1` ends no sentence: a title, an abbreviation, a list number."""
    window = max(start, end - _ABBREVIATION_WINDOW)
    if _ABBREVIATION.search(("\n" if window == start else "") + text[window:end]):
        return True
    # A list item's number ("12.") with only spaces or tabs before it on its line.
    if text[end - 1] != ".":
        return False
    position = end - 1
    while position > start and end - 1 - position < 2 and text[position - 1].isdecimal():
        position -= 1
    if position == end - 1:
        return False
    while position > start and text[position - 1] in " \t":
        position -= 1
    return position == start or text[position - 1] == "\n"


def split_sentences(text: str) -> list[tuple[str, str]]:
    """(sentence, separator that followed it) pairs, so the answer's layout survives the rewrite."""
    pairs: list[tuple[str, str]] = []
    start = 0
    for match in _BREAK.finditer(text):
        if match.group()[0] == "\n":
            end = match.start()  # a line break: the separator is the break itself
        else:
            end = match.start() + 1  # the stop stays with its sentence
            following = text[match.end() : match.end() + 1]
            if following.islower() or _not_an_end(text, start, end):
                continue
        pairs.append((text[start:end], text[end : match.end()]))
        start = match.end()
    pairs.append((text[start:], ""))
    return pairs


def _attribute(
    sentence: str,
    by_number: dict[int, PassageLike],
    *,
    passage_words: dict[int, set[str]],
    cited: set[int],
    relevance: dict[int, float],
    main_document: int | None = None,
) -> tuple[int, float] | None:
    """The passage an uncited sentence came from, if one supports it: (number, support).

    Passages supporting the sentence are ranked by that support plus QUESTION_WEIGHT times their
    relevance to the question. The best passage of the answer's main document wins if it is within
    DOCUMENT_MARGIN of the best; otherwise, among those within RANK_MARGIN of the best, passages
    already cited in this answer come first, then the best-ranked one.
    """
    words = content_words(sentence)
    scores = {n: _support(words, passage_words[n]) for n in by_number}
    supporting = {n: score for n, score in scores.items() if score >= SUPPORT_THRESHOLD}
    if not supporting:
        return None
    ranked = {n: score + QUESTION_WEIGHT * relevance.get(n, 0.0) for n, score in supporting.items()}
    best = max(ranked.values())
    main = [
        n
        for n, score in ranked.items()
        if by_number[n].document_id == main_document and score >= best - DOCUMENT_MARGIN
    ]
    if main:
        chosen = min(main, key=lambda n: (-ranked[n], n))
        return chosen, supporting[chosen]
    close = [n for n, score in ranked.items() if score >= best - RANK_MARGIN]
    cited_documents = {by_number[n].document_id for n in cited if n in by_number}
    chosen = min(close, key=lambda n: (by_number[n].document_id not in cited_documents, n))
    return chosen, supporting[chosen]


def _relevance(
    by_number: dict[int, PassageLike],
    passage_words: dict[int, set[str]],
    question_words: set[str],
) -> dict[int, float]:
    """How well each passage answers the question (0..1), which breaks ties between passages that
    support a sentence alike.

    The share of the question's words in the passage; when search's second stage scored every
    passage, the mean of that share and the reranker's score scaled to 0..1 over the passages, so
    a sentence several documents phrase alike goes to the one the reranker found most relevant.
    """
    relevance = (
        {n: _support(question_words, words) for n, words in passage_words.items()}
        if question_words
        else {}
    )
    reranked = {n: getattr(p, "rerank_score", None) for n, p in by_number.items()}
    scores = {n: float(score) for n, score in reranked.items() if score is not None}
    if len(by_number) > 1 and len(scores) == len(by_number):
        low, high = min(scores.values()), max(scores.values())
        spread = (high - low) or 1.0
        relevance = {
            n: (relevance.get(n, 0.0) + (scores[n] - low) / spread) / (2 if question_words else 1)
            for n in by_number
        }
    return relevance


def main_document(answer: str, passages: list[PassageLike], *, question: str = "") -> int | None:
    """The document whose passages hold the largest share of the answer's content words, plus
    QUESTION_WEIGHT times the share of the question's; ties go to the best-ranked document (by
    the reranker's score when search's second stage scored the passages)."""
    answer_words = content_words(strip_markers(answer)[0])
    question_words = content_words(question)
    words: dict[int, set[str]] = {}
    for passage in passages:
        words.setdefault(passage.document_id, set()).update(content_words(shown_text(passage)))
    if not words or not answer_words:
        return None

    def share(document_id: int) -> float:
        held = len(answer_words & words[document_id]) / len(answer_words)
        if question_words:
            held += QUESTION_WEIGHT * len(question_words & words[document_id]) / len(question_words)
        return held

    # Ties go to the best-ranked document: by the reranker's score when it scored every passage.
    order = list(passages)
    if all(getattr(p, "rerank_score", None) is not None for p in order):
        order.sort(key=lambda p: -float(p.rerank_score))  # type: ignore[attr-defined]
    ranks: dict[int, int] = {}
    for passage in order:
        ranks.setdefault(passage.document_id, len(ranks))
    return max(words, key=lambda document_id: (share(document_id), -ranks[document_id]))


def check_citations(
    answer: str, passages: list[PassageLike], *, question: str = ""
) -> CheckedAnswer:
    """Keep citations that exist and support their sentence; attribute uncited supported sentences.

    With the question, a sentence that several passages support goes to the one that also answers
    the question best: generic sentences ("ZX Bank offers loans") match many documents equally.
    """
    by_number = {index + 1: passage for index, passage in enumerate(passages)}
    # Each passage's words are read once, not once per sentence of the answer.
    passage_words = {n: content_words(shown_text(p)) for n, p in by_number.items()}
    question_words = content_words(strip_markers(question)[0])
    relevance = _relevance(by_number, passage_words, question_words)
    main = main_document(answer, passages, question=question)
    used: dict[int, float] = {}
    by_model: set[int] = set()
    removed: list[dict[str, object]] = []
    # (text before the markers, numbers of the passages cited, text after them) per sentence.
    out: list[tuple[str, list[int], str]] = []

    for sentence, separator in split_sentences(answer):
        if not sentence.strip():
            out.append((sentence + separator, [], ""))
            continue
        bare, numbers = strip_markers(sentence)
        bare = bare.rstrip()
        words = content_words(bare)
        checked = len(words) >= MIN_CHECKED_WORDS
        kept: list[int] = []
        for n in dict.fromkeys(numbers):
            if n not in by_number:
                removed.append({"n": n, "reason": "no such source"})
                continue
            score = _support(words, passage_words[n])
            if score >= SUPPORT_THRESHOLD:
                kept.append(n)
                by_model.add(n)
                used[n] = max(used.get(n, 0.0), score)
            else:
                removed.append(
                    {"n": n, "reason": "source does not support the sentence", "support": score}
                )
        if not kept and checked and by_number:
            attributed = _attribute(
                bare,
                by_number,
                passage_words=passage_words,
                cited=set(used),
                relevance=relevance,
                main_document=main,
            )
            if attributed is not None:
                kept.append(attributed[0])
                used[attributed[0]] = max(used.get(attributed[0], 0.0), attributed[1])
        body = bare.rstrip(".!?")
        out.append((body, kept, bare[len(body) :] + separator))

    # Number the kept sources 1..k in order of first use, so the reader never sees gaps like [5].
    order = list(dict.fromkeys(n for _, kept, _ in out for n in kept))
    renumber = {old: new for new, old in enumerate(order, start=1)}
    text = "".join(
        body + "".join(f" [{renumber[n]}]" for n in kept) + rest for body, kept, rest in out
    )
    citations = [
        Citation(
            n=renumber[old],
            chunk_id=by_number[old].chunk_id,
            document_id=by_number[old].document_id,
            title=by_number[old].title,
            location=by_number[old].location,
            snippet=by_number[old].text[:600],
            support=round(used[old], 3),
            added=old not in by_model,
        )
        for old in order
    ]
    return CheckedAnswer(text=text.strip(), citations=citations, removed=removed)
