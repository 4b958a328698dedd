"""Writes on documents: create (upload), change access, re-index, delete, re-queue stuck ones."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from retrieval import bm25
from retrieval.access import document_principals
from retrieval.models import Chunk, ChunkTerms, Document
from retrieval.parsers import FORMATS

logger = logging.getLogger(__name__)


class DuplicateDocument(Exception):
    """The same bytes (same sha256) were uploaded before; `existing` is that document."""

    def __init__(self, existing: Document) -> None:
        super().__init__(
            f"This file was already uploaded as “{existing.title}” (document {existing.pk})."
        )
        self.existing = existing


def file_sha256(file: File) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in pieces."""
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for piece in file.chunks():
        digest.update(piece)
        size += len(piece)
    file.seek(0)
    return digest.hexdigest(), size


def document_create(
    *,
    file: File,
    title: str = "",
    owner: Any = None,
    org_wide: bool = False,
    groups: Iterable[Group] = (),
    users: Iterable[Any] = (),
    filename: str = "",
    enqueue: bool = True,
) -> Document:
    """Store an upload and queue it for ingestion; DuplicateDocument if its bytes exist already.

    `enqueue=False` leaves it queued for a caller that ingests in bulk itself (evaluation).
    """
    original = Path(filename or file.name or "upload").name
    sha256, size = file_sha256(file)
    existing = Document.objects.filter(sha256=sha256).first()
    if existing is not None:
        raise DuplicateDocument(existing)
    extension = Path(original).suffix.lower()
    known = FORMATS.get(extension)
    content_type = known.content_type if known else (mimetypes.guess_type(original)[0] or "")
    document = Document(
        title=(title or Path(original).stem)[:300],
        original_filename=original[:300],
        content_type=content_type,
        size=size,
        sha256=sha256,
        owner=owner,
        org_wide=org_wide,
    )
    document.file.save(original, file, save=False)
    try:
        with transaction.atomic():
            document.save()
            group_list, user_list = list(groups), list(users)
            document.allowed_groups.set(group_list)
            document.allowed_users.set(user_list)
            document.principals = document_principals(
                owner_id=owner.pk if owner is not None else None,
                org_wide=org_wide,
                user_ids=[u.pk for u in user_list],
                group_ids=[g.pk for g in group_list],
            )
            document.save(update_fields=["principals"])
            if enqueue:
                _enqueue_on_commit(document.pk)
    except IntegrityError:
        document.file.delete(save=False)
        raced = Document.objects.filter(sha256=sha256).first()
        if raced is not None:
            raise DuplicateDocument(raced) from None
        raise
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


def document_set_access(
    *,
    document: Document,
    org_wide: bool,
    groups: Iterable[Group] = (),
    users: Iterable[Any] = (),
) -> Document:
    """Replace who may read a document; its chunks change in the same transaction."""
    group_list, user_list = list(groups), list(users)
    with transaction.atomic():
        # The row lock orders this against an ingestion storing chunks with the old principals.
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.org_wide = org_wide
        locked.allowed_groups.set(group_list)
        locked.allowed_users.set(user_list)
        locked.principals = document_principals(
            owner_id=locked.owner_id,
            org_wide=org_wide,
            user_ids=[u.pk for u in user_list],
            group_ids=[g.pk for g in group_list],
        )
        locked.save(update_fields=["org_wide", "principals", "updated_at"])
        Chunk.objects.filter(document=locked).update(principals=locked.principals)
        ChunkTerms.objects.filter(document=locked).update(principals=locked.principals)
    return locked


def document_reindex(*, document: Document) -> Document:
    """Queue a document for ingestion again; its current chunks stay searchable until replaced."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.status = Document.Status.QUEUED
        locked.stage = Document.Stage.WAITING
        locked.progress_done = locked.progress_total = locked.attempts = 0
        locked.error = ""
        locked.save()
        _enqueue_on_commit(locked.pk)
    return locked


def document_delete(*, document: Document) -> None:
    """Delete a document, its chunks (and their term statistics) and its stored file."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document.pk).first()
        if locked is None:
            return
        with connection.cursor() as cursor:
            bm25.lock_statistics(cursor)
            bm25.unindex_document(cursor, document_id=locked.pk)
        name = locked.file.name
        storage = locked.file.storage
        locked.delete()
        # Only once the rows are gone for good: a rolled-back delete must keep its file.
        transaction.on_commit(lambda: storage.delete(name) if name else None)


def documents_requeue_stuck(*, older_than: timedelta) -> list[int]:
    """Queue again the documents queued or processing without progress for `older_than`."""
    cutoff = timezone.now() - older_than
    stuck = Document.objects.filter(
        status__in=[Document.Status.QUEUED, Document.Status.PROCESSING], updated_at__lt=cutoff
    )
    ids = list(stuck.values_list("id", flat=True))
    with transaction.atomic():
        # Touching updated_at gives the re-queued task a full timeout before the next re-queue.
        Document.objects.filter(pk__in=ids).update(updated_at=timezone.now())
        for document_id in ids:
            _enqueue_on_commit(document_id)
    if ids:
        logger.warning("re-queued %d stuck document(s): %s", len(ids), ids)
    return ids


def _enqueue_on_commit(document_id: int) -> None:
    from retrieval.tasks import ingest_document

    # After commit: the worker must never look for a row it cannot see yet.
    transaction.on_commit(lambda: ingest_document.delay(document_id))
