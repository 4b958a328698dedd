"""Markdown: sections by ATX (#) and setext (===, ---) headings, fenced code left alone.

Documents are untrusted: every pattern here runs in linear time (no two quantifiers compete for
the same characters), and what patterns cannot say that way is a scan.
"""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.parsers import Section
from retrieval.parsers.text import decode_text

# The opening of an ATX heading; its title is the rest of the line without the closing hashes
# (see `_atx_title`).
ATX = re.compile(r" {0,3}(#{1,6})\s+")
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
            open_heading(len(atx.group(1)), _inline(_atx_title(line[atx.end() :])))
            continue
        setext = SETEXT.match(line)
        if setext and buffer and buffer[-1].strip() and not _is_list_or_table(buffer[-1]):
            title = _inline(buffer.pop().strip())
            open_heading(1 if setext.group(1).startswith("=") else 2, title)
            continue
        buffer.append(line)
    flush()
    return sections


def _atx_title(rest: str) -> str:
    # "Title ##  " -> "Title": white space, then closing hashes, then white space.
    return rest.rstrip().rstrip("#").rstrip()


def link_labels(text: str, *, images: bool = False) -> str:
    r"""`text` with each Markdown link `[label](target)` replaced by its label.

    With `images`, an image `![label](target)` becomes its label as well. This is the pattern
    `!?\[([^\]]*)\]\([^)]*\)` applied left to right, as a scan: as a regex it re-reads the rest
    of the text from every "[" that is never closed.
    """
    out: list[str] = []
    done = 0  # text[:done] is in `out`
    close_label = close_target = -1  # the next "]" and ")" at or after the last look
    position = text.find("[")
    while position >= 0:
        if close_label < position:
            close_label = text.find("]", position)
            if close_label < 0:
                break
        opens_target = text.startswith("(", close_label + 1)
        if opens_target and close_target <= close_label:
            close_target = text.find(")", close_label + 2)
            if close_target < 0:
                break
        if not opens_target:
            position = text.find("[", position + 1)
            continue
        start = (
            position - 1 if images and position > done and text[position - 1] == "!" else position
        )
        out.append(text[done:start])
        out.append(text[position + 1 : close_label])
        done = close_target + 1
        position = text.find("[", done)
    out.append(text[done:])
    return "".join(out)


def _inline(text: str) -> str:
    # Headings are shown in citations: drop emphasis and link markup, keep the words.
    return re.sub(r"[*_`]+", "", link_labels(text)).strip()


def _is_list_or_table(line: str) -> bool:
    return line.lstrip().startswith(("-", "*", "+", "|"))
