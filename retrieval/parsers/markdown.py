"""Markdown: sections by ATX (#) and setext (===, ---) headings, fenced code left alone."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.parsers import Section
from retrieval.parsers.text import decode_text

ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")


def parse(path: Path) -> list[Section]:
    """Sections of a Markdown file, each with its heading path."""
    lines = decode_text(path.read_bytes(), what="Markdown").splitlines()
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buffer: list[str] = []
    in_fence = False

    def flush() -> None:
        text = "\n".join(buffer).strip()
        if text:
            sections.append(Section(text=text, headings=tuple(h for _, h in stack)))
        buffer.clear()

    def open_heading(level: int, title: str) -> None:
        flush()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))

    for line in lines:
        if FENCE.match(line):
            in_fence = not in_fence
            buffer.append(line)
            continue
        if in_fence:
            buffer.append(line)
            continue
        atx = ATX.match(line)
        if atx:
            open_heading(len(atx.group(1)), _inline(atx.group(2)))
            continue
        setext = SETEXT.match(line)
        if setext and buffer and buffer[-1].strip() and not _is_list_or_table(buffer[-1]):
            title = _inline(buffer.pop().strip())
            open_heading(1 if setext.group(1).startswith("=") else 2, title)
            continue
        buffer.append(line)
    flush()
    return sections


def _inline(text: str) -> str:
    # Headings are shown in citations: drop emphasis and link markup, keep the words.
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]+", "", text).strip()


def _is_list_or_table(line: str) -> bool:
    return line.lstrip().startswith(("-", "*", "+", "|"))
