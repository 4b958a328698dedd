"""A file that needs too much memory or time ends the sandboxed child, not the worker."""

from __future__ import annotations

import random
import string

import pytest

from retrieval.parsers import ParseError, format_for
from retrieval.parsers.sandbox import parse_sandboxed
from tests.retrieval.conftest import docx


@pytest.fixture(scope="module")
def heavy_docx(tmp_path_factory):
    """A valid DOCX of 30,000 random paragraphs: slow and memory-hungry to parse."""
    rng = random.Random(0)
    paragraphs = ["".join(rng.choices(string.ascii_letters + " ", k=200)) for _ in range(30_000)]
    path = tmp_path_factory.mktemp("heavy") / "heavy.docx"
    path.write_bytes(docx(paragraphs))
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
