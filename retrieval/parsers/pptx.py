"""PPTX: one section per slide (numbered from 1), headed by the slide title; notes included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrieval.parsers import Section, damaged
from retrieval.parsers.zipguard import check_archive, max_uncompressed


def parse(path: Path) -> list[Section]:
    """The text of each slide."""
    check_archive(path, what="PPTX", required="ppt/presentation.xml", max_bytes=max_uncompressed())
    from pptx import Presentation

    try:
        presentation = Presentation(str(path))
    except Exception as error:
        raise damaged("PPTX", error) from None
    sections = []
    for number, slide in enumerate(presentation.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        lines: list[str] = []
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            lines.extend(_shape_lines(shape))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None and notes.text.strip():
                lines.append(notes.text.strip())
        text = "\n".join(line for line in lines if line)
        if text or title:
            sections.append(
                Section(
                    text=text or title,
                    headings=(title,) if title else (),
                    page=number,
                    page_label="slide",
                )
            )
    return sections


def _shape_lines(shape: Any) -> list[str]:
    lines: list[str] = []
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        # A vertical tab is PowerPoint's line break inside a paragraph.
        for paragraph in shape.text_frame.paragraphs:
            text = paragraph.text.replace("\x0b", "\n").strip()
            if text:
                lines.append(text)
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
            if cells:
                lines.append(" | ".join(cells))
    if shape.shape_type == 6:  # a group: its children hold the text
        for child in shape.shapes:
            lines.extend(_shape_lines(child))
    return lines
