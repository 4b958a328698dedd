"""XLSX: one section per sheet, named after the sheet; rows as cell values joined by |."""

from __future__ import annotations

from pathlib import Path

from retrieval.parsers import Section, damaged
from retrieval.parsers.zipguard import check_archive, max_uncompressed


def parse(path: Path) -> list[Section]:
    """The cell values of each sheet, row by row."""
    check_archive(path, what="XLSX", required="xl/workbook.xml", max_bytes=max_uncompressed())
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except Exception as error:
        raise damaged("XLSX", error) from None
    sections = []
    try:
        for sheet in workbook.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):
                cells = [_cell(value) for value in row if value is not None]
                cells = [c for c in cells if c]
                if cells:
                    rows.append(" | ".join(cells))
            if rows:
                sections.append(Section(text="\n".join(rows), headings=(sheet.title,)))
    finally:
        workbook.close()
    return sections


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
