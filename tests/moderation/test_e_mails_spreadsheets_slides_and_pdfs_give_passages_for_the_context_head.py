"""E-mails, spreadsheets, slides and PDFs are read for the context head as the product's parsers
read them: an e-mail's sender, subject and body; a sheet's or a slide table's rows as cells joined
by " | "; a slide's text; a PDF's text; files in sub-folders too."""

from __future__ import annotations

from email.message import EmailMessage

import openpyxl
from pptx import Presentation
from pptx.util import Inches
from pypdf import PdfWriter

from moderation import clean_documents

BODY = "The quarterly stock count starts on Monday and every team lead confirms the totals. "


def _email(path) -> None:
    message = EmailMessage()
    message["From"] = "facilities@example.com"
    message["To"] = "staff@example.com"
    message["Subject"] = "Stock count next week"
    message.set_content(BODY * 4)
    path.write_bytes(bytes(message))


def _sheet(path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Region", "Revenue", "Margin"])
    for i in range(30):
        sheet.append([f"Region {i}", 1000 + i, 0.25])
    workbook.save(str(path))


def _slides(path) -> None:
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Warehouse stock count procedure for every team lead"
    table = slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for r, (a, b) in enumerate(
        [("Step", "Owner"), ("Count shelves", "Team lead"), ("Sign", "Manager")]
    ):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    deck.save(str(path))


def test_each_kind_of_file_gives_its_text_as_passages(tmp_path):
    (tmp_path / "mail").mkdir()
    _email(tmp_path / "mail" / "count.eml")
    _sheet(tmp_path / "figures.xlsx")
    _slides(tmp_path / "deck.pptx")
    (tmp_path / "broken.eml").write_bytes(b"\x00\x01 not a message")

    found: dict[str, str] = {}
    for passage in clean_documents.passages(tmp_path, split="all"):
        found[passage.document] = found.get(passage.document, "") + "\n" + passage.text

    assert "Subject: Stock count next week" in found["count.eml"]
    assert "team lead confirms the totals" in found["count.eml"]
    assert "Region 3 | 1003 | 0.25" in found["figures.xlsx"]
    assert "Count shelves | Team lead" in found["deck.pptx"]
    assert "Warehouse stock count procedure" in found["deck.pptx"]
    assert "broken.eml" not in found
    assert [clean_documents.kind_of(n) for n in ("a.eml", "b.xlsx", "c.pptx", "d.pdf")] == [
        "e-mail",
        "spreadsheet",
        "slides",
        "pdf",
    ]


def test_a_pdf_without_text_gives_no_passage_and_a_locked_one_is_skipped(tmp_path, caplog):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    with open(tmp_path / "blank.pdf", "wb") as fh:
        writer.write(fh)
    locked = PdfWriter()
    locked.add_blank_page(width=200, height=200)
    locked.encrypt("secret")
    with open(tmp_path / "locked.pdf", "wb") as fh:
        locked.write(fh)

    assert clean_documents.passages(tmp_path, split="all") == []
    assert "locked.pdf" in caplog.text
