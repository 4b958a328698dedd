"""A file that needs too much memory or time ends the sandboxed child, not the worker."""

from __future__ import annotations

import io
import random
import string
import zipfile

import pytest

from retrieval.parsers import ParseError, format_for
from retrieval.parsers.sandbox import parse_sandboxed

CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/><Override '
    'PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)
RELATIONSHIPS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


@pytest.fixture(scope="module")
def heavy_docx(tmp_path_factory):
    """A valid DOCX of 30,000 random paragraphs: slow and memory-hungry to parse."""
    rng = random.Random(0)
    body = "".join(
        f"<w:p><w:r><w:t>{''.join(rng.choices(string.ascii_letters + ' ', k=200))}</w:t></w:r></w:p>"
        for _ in range(30_000)
    )
    xml = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    path = tmp_path_factory.mktemp("heavy") / "heavy.docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELATIONSHIPS)
        archive.writestr("word/document.xml", xml)
    path.write_bytes(buffer.getvalue())
    return path


def parse(path, *, timeout, memory_mb):
    return parse_sandboxed(
        path, format_for(path.name), timeout=timeout, memory_mb=memory_mb, max_uncompressed=1 << 30
    )


def test_a_file_needing_more_memory_than_allowed_fails_with_that_reason(heavy_docx):
    with pytest.raises(ParseError, match="needed more than 64 MB of memory"):
        parse(heavy_docx, timeout=120, memory_mb=64)


def test_a_file_taking_longer_than_allowed_fails_with_that_reason(heavy_docx):
    with pytest.raises(ParseError, match="took longer than 1 s"):
        parse(heavy_docx, timeout=1, memory_mb=2048)
