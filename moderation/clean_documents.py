"""Clean passages of documents of other kinds (manuals, filings, web pages), for the context scan.

The context head's clean negatives were two companies' product pages and manuals. A rulebook reads
differently: "Mobile storage media must be encrypted. Standing trustees must have a set of rules"
is an order to its reader, not to the assistant, and the head dropped 3% of such passages. The
files of a folder (``.docx``, ``.html``/``.htm``, ``.md``, ``.txt``) are cut into passages of
consecutive paragraphs of about ``CHUNK_WORDS`` words, as retrieval cuts documents into chunks,
and each distinct passage is a clean negative of the context head. ``HELD_OUT_DOCUMENT`` is never
read for training: it is the held-out test (``evaluate --format passages --split held-out``).

Parsing is python-docx and BeautifulSoup, the libraries the product's ingestion uses; moderation
does not import the retrieval package (layering), so this reads only the text of paragraphs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# The Unstructured example documents' 872-page procedures handbook: the held-out document.
HELD_OUT_DOCUMENT = "handbook-872p.docx"
# Its first page, kept as a file of its own in the same folder: never trained on either.
SAME_AS_HELD_OUT = frozenset({"handbook-1p.docx"})
SUFFIXES = frozenset({".docx", ".html", ".htm", ".md", ".txt", ".eml", ".xlsx", ".pptx", ".pdf"})
CHUNK_WORDS = 120
# A last passage shorter than this is dropped (a page footer, a lone heading).
MIN_WORDS = 8
SPLITS = ("train", "held-out", "all")


_KINDS = {
    ".eml": "e-mail",
    ".xlsx": "spreadsheet",
    ".pptx": "slides",
    ".pdf": "pdf",
    ".html": "web page",
    ".htm": "web page",
    ".docx": "word",
    ".md": "text",
    ".txt": "text",
}


def kind_of(document: str) -> str:
    """The kind of a document by its file name: e-mail, spreadsheet, slides, pdf, ..."""
    return _KINDS.get(Path(document).suffix.lower(), "other")


@dataclass(frozen=True)
class Passage:
    """One passage of a document: its file name and text."""

    document: str
    text: str


def paragraphs(path: Path) -> list[str]:
    """The non-empty paragraphs of a file, in order: a table's rows and a slide's text frames
    count as paragraphs, a row's cells joined by " | " as the product's parsers join them."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        rows = [
            " | ".join(cell.text.strip() for cell in row.cells if cell.text.strip())
            for table in document.tables
            for row in table.rows
        ]
        return [p.text.strip() for p in document.paragraphs if p.text.strip()] + [
            r for r in rows if r
        ]
    if suffix in (".html", ".htm"):
        return _html_lines(path.read_bytes())
    if suffix == ".eml":
        return _email(path)
    if suffix == ".xlsx":
        return _sheet_rows(path)
    if suffix == ".pptx":
        return _slides(path)
    if suffix == ".pdf":
        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)  # font and xref notes, per page

        pages = [page.extract_text() or "" for page in PdfReader(str(path)).pages]
        return [line.strip() for page in pages for line in page.split("\n") if line.strip()]
    text = path.read_text(encoding="utf-8", errors="replace")
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def _html_lines(markup: bytes | str) -> list[str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    # Lines of fewer than four words are navigation, table cells and labels.
    return [line.strip() for line in soup.get_text("\n").splitlines() if len(line.split()) > 3]


def _email(path: Path) -> list[str]:
    """An e-mail's subject and sender lines, then its text body (or its HTML body's lines)."""
    import email
    from email import policy
    from email.message import EmailMessage

    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    if not isinstance(message, EmailMessage) or not (message["From"] or message["Subject"]):
        raise ValueError("not an e-mail message")
    head = [f"{name}: {message[name]}" for name in ("From", "To", "Subject") if message[name]]
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return head
    content = str(part.get_content())
    if part.get_content_type() == "text/html":
        return head + _html_lines(content)
    return head + [block.strip() for block in content.split("\n\n") if block.strip()]


def _sheet_rows(path: Path) -> list[str]:
    import openpyxl

    workbook = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    try:
        return [
            " | ".join(
                str(value).strip() for value in row if value is not None and str(value).strip()
            )
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            if any(value is not None and str(value).strip() for value in row)
        ]
    finally:
        workbook.close()


def _slides(path: Path) -> list[str]:
    from pptx import Presentation

    out: list[str] = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                out += [p.text.strip() for p in shape.text_frame.paragraphs if p.text.strip()]
            if shape.has_table:
                for row in shape.table.rows:
                    cells = [cell.text.strip() for cell in row.cells if cell.text.strip()]
                    if cells:
                        out.append(" | ".join(cells))
    return out


def chunks(paras: list[str], words: int = CHUNK_WORDS) -> list[str]:
    """Consecutive paragraphs joined until a passage has ``words`` words; distinct, in order."""
    out: list[str] = []
    current: list[str] = []
    for para in paras:
        current.append(para)
        if sum(len(p.split()) for p in current) >= words:
            out.append(" ".join(current))
            current = []
    if current and sum(len(p.split()) for p in current) >= MIN_WORDS:
        out.append(" ".join(current))
    return list(dict.fromkeys(out))


def passages(folder: Path | str, *, split: str = "train") -> list[Passage]:
    """Every distinct passage of the folder's documents on one side of the split.

    ``train`` reads every document but ``HELD_OUT_DOCUMENT`` (and its first page, a file of its
    own); ``held-out`` only that one (and
    refuses a folder without it); ``all`` every document. A file that cannot be parsed is
    skipped with a warning.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder of documents")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if split == "train":
        files = [p for p in files if p.name != HELD_OUT_DOCUMENT and p.name not in SAME_AS_HELD_OUT]
    elif split == "held-out":
        files = [p for p in files if p.name == HELD_OUT_DOCUMENT]
        if not files:
            raise ValueError(f"{folder}: no {HELD_OUT_DOCUMENT} (the held-out document)")
    out: list[Passage] = []
    for path in files:
        try:
            paras = paragraphs(path)
        except Exception as error:  # a corrupt or unreadable file: skip it, say which
            log.warning("clean documents: skipped %s (%s)", path.name, error)
            continue
        out.extend(Passage(path.name, text) for text in chunks(paras))
    return out
