"""Markdown and plain text are parsed in the sandbox, under the same limits as every other format."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from retrieval.conf import config
from retrieval.ingestion import document_parse
from retrieval.parsers import ParseError
from tests.retrieval.conftest import upload

# Under 4 MB on disk (the upload limit in tests), but their text takes far more than 64 MB to hold
# and to send back: many short lines, and control characters that JSON writes six bytes wide.
FILES = {
    "many-lines.md": b"ab\n" * 1_300_000,
    "controls.txt": b"\x01" * 3_900_000,
}


@pytest.fixture
def small_parse_memory(settings):
    settings.RETRIEVAL = {**settings.RETRIEVAL, "parse_memory_mb": 64}
    config.cache_clear()
    yield
    config.cache_clear()


@pytest.mark.django_db
@pytest.mark.parametrize("name", FILES)
def test_a_text_file_over_the_memory_limit_fails_with_that_reason(name, small_parse_memory):
    document = upload(name, FILES[name], owner=User.objects.create_user("uploader"))

    with pytest.raises(ParseError, match="needed more than 64 MB of memory"):
        document_parse(document=document)


@pytest.mark.django_db
def test_a_heading_that_once_stalled_the_worker_is_parsed_in_the_sandbox():
    document = upload("gap.md", b"# a" + b" " * 2000 + b"b\n\nBody.", owner=None)

    sections = document_parse(document=document)

    assert [(s.headings, s.text) for s in sections] == [(("a" + " " * 2000 + "b",), "Body.")]
