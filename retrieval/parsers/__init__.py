"""Parsers: one module per file format, each turning a file into citable sections.

Parsers are plain Python (no Django) so that the sandbox can run them in a small child process.
The registry names modules by dotted path and imports them only when a file of that type arrives.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol


class ParseError(Exception):
    """The file cannot be turned into text; the message is shown to the uploader as is."""


def damaged(what: str, error: BaseException) -> ParseError:
    """A ParseError for a file a library could not read, naming the library's error type only.

    The library's message may quote the file (a bad cell, a tag, a name), and the reason is shown
    to staff who may not read the document: the message goes to the server log instead.
    """
    logging.getLogger(__name__).warning(
        "cannot read a %s: %s: %s", what, type(error).__name__, error
    )
    return ParseError(f"The {what} is damaged and cannot be read ({type(error).__name__}).")


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, on one page or slide when the format has them."""

    text: str
    headings: tuple[str, ...] = ()
    page: int | None = None
    page_label: str = "page"

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready form, for the sandbox's reply."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        """The inverse of `as_json`."""
        return cls(
            text=str(data["text"]),
            headings=tuple(str(h) for h in data.get("headings", ())),
            page=data.get("page"),
            page_label=str(data.get("page_label", "page")),
        )


class Parser(Protocol):
    """What a format module provides."""

    def parse(self, path: Path) -> list[Section]: ...


@dataclass(frozen=True)
class Format:
    """A supported file format."""

    name: str
    module: str
    content_type: str
    # Every format is parsed in the sandbox: container and binary formats go through third-party
    # C code, and even plain text can be large enough to exhaust a worker's memory.
    sandboxed: bool = True


FORMATS: dict[str, Format] = {
    ".pdf": Format("PDF", "retrieval.parsers.pdf", "application/pdf"),
    ".docx": Format(
        "DOCX",
        "retrieval.parsers.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".pptx": Format(
        "PPTX",
        "retrieval.parsers.pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ".xlsx": Format(
        "XLSX",
        "retrieval.parsers.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ".html": Format("HTML", "retrieval.parsers.html", "text/html"),
    ".htm": Format("HTML", "retrieval.parsers.html", "text/html"),
    ".md": Format("Markdown", "retrieval.parsers.markdown", "text/markdown"),
    ".markdown": Format("Markdown", "retrieval.parsers.markdown", "text/markdown"),
    ".txt": Format("text", "retrieval.parsers.plaintext", "text/plain"),
    ".text": Format("text", "retrieval.parsers.plaintext", "text/plain"),
    ".eml": Format("email", "retrieval.parsers.eml", "message/rfc822"),
}


def format_for(filename: str) -> Format:
    """The format of a file by its extension; ParseError when the type is not supported."""
    extension = Path(filename).suffix.lower()
    found = FORMATS.get(extension)
    if found is None:
        supported = ", ".join(sorted({f.name for f in FORMATS.values()}))
        kind = f"'{extension}'" if extension else "without an extension"
        raise ParseError(f"Files of type {kind} are not supported (supported: {supported}).")
    return found


def parse_in_process(path: Path, fmt: Format) -> list[Section]:
    """Parse `path` in this process; callers wanting limits use `sandbox.parse_sandboxed`."""
    module: Parser = importlib.import_module(fmt.module)  # type: ignore[assignment]
    return module.parse(path)
