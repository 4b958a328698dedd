"""Reads on documents for the people who manage them (staff pages, API, CLI)."""

from __future__ import annotations

from django.db.models import QuerySet

from retrieval.models import Chunk, Document


def document_list() -> QuerySet[Document]:
    """All documents with their owner, newest first (for managers, not for reading content)."""
    return Document.objects.select_related("owner").prefetch_related(
        "allowed_groups", "allowed_users"
    )


def document_get(*, document_id: int) -> Document | None:
    """One document by id, or None."""
    return document_list().filter(pk=document_id).first()


def document_progress(*, document_ids: list[int]) -> list[dict[str, object]]:
    """Status, stage and progress of some documents, for live status displays."""
    rows = Document.objects.filter(pk__in=document_ids).values(
        "id", "status", "stage", "progress_done", "progress_total", "error", "chunk_count"
    )
    return [dict(row) for row in rows]


def document_chunks(*, document: Document) -> QuerySet[Chunk]:
    """A document's chunks in reading order, without their vectors."""
    return Chunk.objects.filter(document=document).defer("embedding")
