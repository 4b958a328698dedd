from __future__ import annotations

import threading

import pytest

from retrieval import bm25, ingestion, tasks
from retrieval.models import Chunk, Document
from retrieval.search import search
from retrieval.services import document_reindex

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_worker(monkeypatch):
    """These tests run the ingestion themselves; a worker of this test run must not race them."""
    monkeypatch.setattr(tasks.ingest_document, "delay", lambda document_id: None)


def rewrite(document, text: bytes) -> None:
    """Change the stored file in place, as an edited re-upload would."""
    with document.file.open("wb") as handle:
        handle.write(text)
    Document.objects.filter(pk=document.pk).update(size=len(text))


def test_a_failed_reindex_keeps_the_old_chunks_whole(ingested, alice, monkeypatch):
    document = ingested("v.md", b"# Version\n\nThe first version talks about apples.", owner=alice)
    before = list(Chunk.objects.filter(document=document).values_list("id", "text"))
    rewrite(document, b"# Version\n\nThe second version talks about pears.")
    document_reindex(document=document, enqueue=False)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bm25, "index_document", broken)
    with pytest.raises(RuntimeError):
        ingestion.document_ingest(document_id=document.pk)

    assert list(Chunk.objects.filter(document=document).values_list("id", "text")) == before


def test_search_during_reindex_sees_the_old_version_then_the_new(ingested, alice, monkeypatch):
    document = ingested("v.md", b"# Fruit\n\nThe canteen sells apples.", owner=alice)
    rewrite(document, b"# Fruit\n\nThe canteen sells pears.")
    document_reindex(document=document, enqueue=False)
    inside, release = threading.Event(), threading.Event()
    real = bm25.index_document

    def paused(cursor, **kwargs):
        real(cursor, **kwargs)
        inside.set()  # new chunks written, transaction not yet committed
        release.wait(30)

    monkeypatch.setattr(bm25, "index_document", paused)
    worker = threading.Thread(target=ingestion.document_ingest, kwargs={"document_id": document.pk})
    worker.start()
    try:
        assert inside.wait(60)
        during = [p.text for p in search(user=alice, query="What does the canteen sell?")]
    finally:
        release.set()
        worker.join(60)
    after = [p.text for p in search(user=alice, query="What does the canteen sell?")]

    assert any("apples" in text for text in during)
    assert not any("pears" in text for text in during)
    assert any("pears" in text for text in after)
    assert set(Chunk.objects.filter(document=document).values_list("version", flat=True)) == {2}
