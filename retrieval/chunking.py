"""Chunking by structure, then by size: sections never mix, long ones split at paragraph, sentence
and finally token boundaries, each chunk keeping its heading path and page."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from retrieval.parsers import Section

SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
HEADING_SEPARATOR = " › "

# Counts tokens of many strings at once; splits one string into pieces of at most n tokens.
TokenCounter = Callable[[list[str]], list[int]]
TokenSplitter = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is embedded and stored."""

    ordinal: int
    text: str
    heading_path: str
    page: int | None
    location: str
    token_count: int


def location_of(section: Section) -> str:
    """How a citation names where a section sits: "page 3 › Leave › Sick leave"."""
    parts = [f"{section.page_label} {section.page}"] if section.page is not None else []
    parts.extend(h for h in section.headings if h)
    return HEADING_SEPARATOR.join(parts)


def chunk_sections(
    sections: Sequence[Section],
    *,
    max_tokens: int,
    count_tokens: TokenCounter,
    split_tokens: TokenSplitter,
) -> list[ChunkDraft]:
    """Chunks of at most `max_tokens` tokens, in reading order."""
    drafts: list[ChunkDraft] = []
    for section in _merge_neighbours(sections):
        units = _units(section.text, max_tokens, count_tokens, split_tokens)
        for text, tokens in _pack(units, max_tokens):
            drafts.append(
                ChunkDraft(
                    ordinal=len(drafts),
                    text=text,
                    heading_path=HEADING_SEPARATOR.join(h for h in section.headings if h),
                    page=section.page,
                    location=location_of(section),
                    token_count=tokens,
                )
            )
    return drafts


def _merge_neighbours(sections: Sequence[Section]) -> list[Section]:
    # Some formats emit one section per paragraph; neighbours under the same heading belong together.
    merged: list[Section] = []
    for section in sections:
        text = section.text.strip()
        if not text:
            continue
        last = merged[-1] if merged else None
        if last and (last.headings, last.page, last.page_label) == (
            section.headings,
            section.page,
            section.page_label,
        ):
            merged[-1] = Section(
                last.text + "\n\n" + text, last.headings, last.page, last.page_label
            )
        else:
            merged.append(Section(text, section.headings, section.page, section.page_label))
    return merged


def _units(
    text: str, max_tokens: int, count_tokens: TokenCounter, split_tokens: TokenSplitter
) -> list[tuple[str, int]]:
    """Paragraph-sized pieces, each within the budget."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) == 1:
        # Hard-wrapped text (PDF pages) has no blank lines: its lines are the units.
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    units: list[tuple[str, int]] = []
    for paragraph, tokens in zip(paragraphs, count_tokens(paragraphs), strict=True):
        if tokens <= max_tokens:
            units.append((paragraph, tokens))
            continue
        sentences = [s for s in SENTENCE_END.split(paragraph) if s.strip()]
        for sentence, size in zip(sentences, count_tokens(sentences), strict=True):
            if size <= max_tokens:
                units.append((sentence, size))
            else:
                pieces = split_tokens(sentence, max_tokens)
                units.extend(zip(pieces, count_tokens(pieces), strict=True))
    return units


def _pack(units: list[tuple[str, int]], max_tokens: int) -> list[tuple[str, int]]:
    """Greedily join neighbouring units while the total stays within the budget."""
    chunks: list[tuple[str, int]] = []
    current: list[str] = []
    size = 0
    for text, tokens in units:
        if current and size + tokens > max_tokens:
            chunks.append(("\n".join(current), size))
            current, size = [], 0
        current.append(text)
        size += tokens
    if current:
        chunks.append(("\n".join(current), size))
    return chunks
