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
SUFFIXES = frozenset({".docx", ".html", ".htm", ".md", ".txt"})
CHUNK_WORDS = 120
# A last passage shorter than this is dropped (a page footer, a lone heading).
MIN_WORDS = 8
SPLITS = ("train", "held-out", "all")


@dataclass(frozen=True)
class Passage:
    """One passage of a document: its file name and text."""

    document: str
    text: str


def paragraphs(path: Path) -> list[str]:
    """The non-empty paragraphs of a file, in order."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        import docx

        return [p.text.strip() for p in docx.Document(str(path)).paragraphs if p.text.strip()]
    if suffix in (".html", ".htm"):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(path.read_bytes(), "html.parser")
        for tag in soup(["script", "style"]):
            tag.decompose()
        # Lines of fewer than four words are navigation, table cells and labels.
        return [line.strip() for line in soup.get_text("\n").splitlines() if len(line.split()) > 3]
    text = path.read_text(encoding="utf-8", errors="replace")
    return [block.strip() for block in text.split("\n\n") if block.strip()]


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
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
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
