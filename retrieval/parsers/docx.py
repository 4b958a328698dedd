"""DOCX: paragraphs and tables in reading order, sections by Heading/Title styles."""

from __future__ import annotations

import re
from pathlib import Path

from retrieval.parsers import Section, damaged
from retrieval.parsers.zipguard import check_archive, max_uncompressed

HEADING = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.IGNORECASE)


def parse(path: Path) -> list[Section]:
    """Sections of a Word document under their heading paths."""
    check_archive(path, what="DOCX", required="word/document.xml", max_bytes=max_uncompressed())
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as error:
        raise damaged("DOCX", error) from None

    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buffer: list[str] = []

    def flush() -> None:
        text = "\n".join(buffer).strip()
        if text:
            sections.append(Section(text=text, headings=tuple(h for _, h in stack)))
        buffer.clear()

    for block in document.iter_inner_content():
        if isinstance(block, Table):
            buffer.extend(_table_rows(block))
            continue
        text = block.text.strip()
        if not text:
            continue
        level = _heading_level(block.style.name if block.style is not None else "")
        if level is None:
            buffer.append(text)
            continue
        flush()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
    flush()
    return sections


def _heading_level(style: str) -> int | None:
    if style.lower() == "title":
        return 0
    match = HEADING.match(style.strip())
    return int(match.group(1)) if match else None


def _table_rows(table: object) -> list[str]:
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            value = cell.text.strip()
            # Merged cells repeat the same object across the span; keep one copy.
            if value and (not cells or cells[-1] != value):
                cells.append(value)
        if cells:
            rows.append(" | ".join(cells))
    return rows
