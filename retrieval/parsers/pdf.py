"""PDF through PDFium: one section per page, so citations can name the page."""

from __future__ import annotations

from pathlib import Path

from retrieval.parsers import ParseError, Section, damaged


def parse(path: Path) -> list[Section]:
    """The text of each page."""
    import pypdfium2 as pdfium

    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise ParseError("The file is named .pdf but is not a PDF.")
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        if "password" in str(error).lower():
            raise ParseError(
                "The PDF is encrypted with a password; upload an unprotected copy."
            ) from None
        raise damaged("PDF", error) from None
    sections = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            textpage = page.get_textpage()
            text = _clean(textpage.get_text_range())
            textpage.close()
            page.close()
            if text.strip():
                sections.append(Section(text=text, page=number + 1, page_label="page"))
    finally:
        pdf.close()
    return sections


def _clean(text: str) -> str:
    # PDFium marks hyphenation points with U+FFFE and ends lines with CR LF.
    text = text.replace("\ufffe", "").replace("\x02", "")
    return text.replace("\r\n", "\n").replace("\r", "\n")
