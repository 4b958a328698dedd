"""Run A claims a document, then a newer run B does: whatever A still writes, the document shows B."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.chunking import ChunkDraft
from retrieval.ingestion import (
    PreparedDocument,
    Superseded,
    chunks_replace,
    document_claim,
    document_fail,
    document_prepare,
    document_process,
)
from retrieval.models import EMBEDDING_DIMENSIONS, Chunk, ChunkTerms, Document
from retrieval.services import document_reindex
from tests.retrieval.conftest import upload

pytestmark = pytest.mark.django_db

TEXT = b"# Leave policy\n\nEmployees get twenty-five days of paid leave each year."


def stale_chunks() -> PreparedDocument:
    draft = ChunkDraft(
        ordinal=0, text="STALE TEXT", heading_path="", page=None, location="", token_count=2
    )
    return PreparedDocument(drafts=[draft], vectors=np.ones((1, EMBEDDING_DIMENSIONS)))


def assert_shows_only_run_b(document: Document, run_b: int) -> None:
    document.refresh_from_db()
    assert document.status == "ready", document.error
    assert document.run == run_b and document.error == ""
    chunks = list(Chunk.objects.filter(document=document))
    assert chunks and all("STALE" not in c.text for c in chunks)
    assert {c.version for c in chunks} == {document.version}
    assert (
        document.chunk_count == len(chunks) == ChunkTerms.objects.filter(document=document).count()
    )


def test_a_stale_run_cannot_fail_the_document_or_write_its_chunks(alice):
    document = upload("leave.md", TEXT, owner=alice)
    run_a = document_claim(document_id=document.pk)
    # The worker running A looked dead, so the reconciler queued the document again.
    run_b = document_claim(document_id=document.pk)
    assert run_a is not None and run_b is not None and run_b.run > run_a.run

    # A, still alive, reaches its next progress report, its failure, or its chunk swap.
    with pytest.raises(Superseded):
        document_prepare(document=run_a)
    assert document_fail(document_id=document.pk, run=run_a.run, reason="stale") is False
    assert chunks_replace(document_id=document.pk, prepared=stale_chunks(), run=run_a.run) is False
    document.refresh_from_db()
    assert (document.status, document.error, document.chunk_count) == ("processing", "", 0)

    document_process(document=run_b)
    assert_shows_only_run_b(document, run_b.run)

    # Finishing late changes nothing either.
    document_process(document=run_a)
    assert document_fail(document_id=document.pk, run=run_a.run, reason="stale") is False
    assert chunks_replace(document_id=document.pk, prepared=stale_chunks(), run=run_a.run) is False
    assert_shows_only_run_b(document, run_b.run)


def test_a_run_from_before_a_reindex_cannot_overwrite_the_new_one(alice):
    document = upload("leave.md", TEXT, owner=alice)
    run_a = document_claim(document_id=document.pk)
    # Re-indexing starts the attempt count again; the run number goes on.
    document_reindex(document=document)
    run_b = document_claim(document_id=document.pk)
    assert run_a is not None and run_b is not None
    assert run_a.attempts == run_b.attempts == 1 and run_b.run > run_a.run

    document_process(document=run_b)
    assert document_fail(document_id=document.pk, run=run_a.run, reason="stale") is False
    assert chunks_replace(document_id=document.pk, prepared=stale_chunks(), run=run_a.run) is False
    assert_shows_only_run_b(document, run_b.run)
