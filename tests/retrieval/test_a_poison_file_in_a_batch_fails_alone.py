"""A batch of small documents ingested together: a file that cannot be read, or whose text the
database refuses, ends failed with a reason, and every other document of the batch ends ready."""

from __future__ import annotations

import pytest

from retrieval import bulk
from retrieval.models import Chunk, ChunkTerms, CorpusStatistic, Document
from tests.retrieval.conftest import upload

pytestmark = pytest.mark.django_db

GOOD = [
    (f"policy-{i}.md", f"# Policy {i}\n\nExpense claim rule number {i} for travel.".encode())
    for i in range(4)
]


def ingest_with(name: str, content: bytes) -> tuple[bulk.BatchOutcome, Document, list[Document]]:
    good = [upload(n, c, org_wide=True, enqueue=False) for n, c in GOOD[:2]]
    poison = upload(name, content, org_wide=True, enqueue=False)
    good += [upload(n, c, org_wide=True, enqueue=False) for n, c in GOOD[2:]]
    outcome = bulk.documents_ingest(document_ids=[d.pk for d in [*good[:2], poison, *good[2:]]])
    poison.refresh_from_db()
    for document in good:
        document.refresh_from_db()
    return outcome, poison, good


def assert_the_others_are_ready(outcome: bulk.BatchOutcome, good: list[Document]) -> None:
    assert sorted(outcome.ready) == sorted(d.pk for d in good)
    for document in good:
        assert document.status == "ready", document.error
        assert Chunk.objects.filter(document=document).count() == document.chunk_count >= 1
    assert ChunkTerms.objects.count() == Chunk.objects.count()
    statistics = CorpusStatistic.objects.get()
    assert statistics.chunk_count == Chunk.objects.count()
    assert statistics.document_count == len(good)


def test_a_file_that_cannot_be_read_fails_alone():
    outcome, poison, good = ingest_with("scan.pdf", b"%PDF-1.4 not really a PDF")

    assert poison.status == "failed"
    assert "PDF is damaged" in poison.error
    assert outcome.failed == {poison.pk: poison.error}
    assert not Chunk.objects.filter(document=poison).exists()
    assert_the_others_are_ready(outcome, good)


def test_a_file_whose_text_the_database_refuses_fails_alone():
    # The text parser looks for NUL bytes in the first 8 kB only; PostgreSQL refuses them in text.
    text = ("Plain words about the office. " * 400).encode() + b"\x00 and after it more words."
    outcome, poison, good = ingest_with("notes.txt", text)

    assert poison.status == "failed"
    assert "Ingestion failed unexpectedly" in poison.error
    assert outcome.failed == {poison.pk: poison.error}
    assert not Chunk.objects.filter(document=poison).exists()
    assert_the_others_are_ready(outcome, good)
