"""Plain text: one section, paragraphs kept."""

from __future__ import annotations

from pathlib import Path

from retrieval.parsers import Section
from retrieval.parsers.text import decode_text


def parse(path: Path) -> list[Section]:
    """The file's text as one section."""
    return [Section(text=decode_text(path.read_bytes(), what="a text file"))]
