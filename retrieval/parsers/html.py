"""HTML: visible text in reading order, sections by h1–h6; scripts and styles dropped."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from retrieval.parsers import ParseError, Section

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
INVISIBLE = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
BLOCKS = {
    "p", "div", "li", "tr", "br", "pre", "blockquote", "section", "article", "table",
    "ul", "ol", "dd", "dt", "header", "footer", "nav", "aside", "main", "form", "hr",
    "figcaption", "caption", "address", "td", "th",
}  # fmt: skip


def parse(path: Path) -> list[Section]:
    """Sections of an HTML page under their heading paths."""
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ParseError("The file is named as HTML but contains binary data.")
    return sections_from_html(data)


def sections_from_html(data: bytes | str) -> list[Section]:
    """Sections of HTML markup (also used for the HTML part of e-mails)."""
    # BeautifulSoup reads the declared charset, then guesses (e.g. Windows-1252) when none is given.
    soup = BeautifulSoup(data, "lxml")
    for tag in soup.find_all(INVISIBLE):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    root = soup.body or soup
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    buffer: list[str] = []

    def flush() -> None:
        text = "\n".join(_clean_lines("".join(buffer)))
        if text:
            sections.append(Section(text=text, headings=tuple(h for _, h in stack)))
        buffer.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                buffer.append(str(child))
            elif isinstance(child, Tag):
                level = HEADINGS.get(child.name)
                if level is not None:
                    flush()
                    while stack and stack[-1][0] >= level:
                        stack.pop()
                    heading = " ".join(child.get_text(" ", strip=True).split())
                    if heading:
                        stack.append((level, heading))
                    continue
                block = child.name in BLOCKS
                if block:
                    buffer.append("\n")
                walk(child)
                if block:
                    buffer.append("\n")

    walk(root)
    flush()
    return sections


def _clean_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]
