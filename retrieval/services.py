"""Writes on documents: create (upload), change access, re-index, delete, re-queue stuck ones.

Every write that changes who may read a document (create, access change, delete) records a
DocumentAccessChange in the same transaction, naming the `actor` who made it: a user, or for
changes made without one (command line, system jobs) the `actor_label` given, else "system".
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from retrieval import bm25
from retrieval.access import document_principals
from retrieval.dispatch import ingest_document_enqueue
from retrieval.models import Chunk, ChunkTerms, Document, DocumentAccessChange
from retrieval.parsers import FORMATS

logger = logging.getLogger(__name__)

# Who the access log names when a change has neither a user nor a label.
SYSTEM_ACTOR = "system"


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
    actor: Any = None,
    actor_label: str = "",
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
            _record_access_change(
                document=document,
                kind=DocumentAccessChange.Kind.CREATED,
                actor=actor,
                actor_label=actor_label,
                before=None,
                before_principals=[],
            )
            if enqueue:
                ingest_document_enqueue(document_id=document.pk)
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
    actor: Any = None,
    actor_label: str = "",
) -> Document:
    """Replace who may read a document; its chunks and the access log change in one transaction."""
    group_list, user_list = list(groups), list(users)
    with transaction.atomic():
        # The row lock orders this against an ingestion storing chunks with the old principals.
        locked = Document.objects.select_for_update().get(pk=document.pk)
        before, before_principals = access_rules(locked), list(locked.principals)
        locked.org_wide = org_wide
        locked.allowed_groups.set(group_list)
        locked.allowed_users.set(user_list)
        locked.principals = document_principals(
            owner_id=locked.owner_id,
            org_wide=org_wide,
            user_ids=[u.pk for u in user_list],
            group_ids=[g.pk for g in group_list],
        )
        _principals_save(locked, fields=["org_wide"])
        _record_access_change(
            document=locked,
            kind=DocumentAccessChange.Kind.CHANGED,
            actor=actor,
            actor_label=actor_label,
            before=before,
            before_principals=before_principals,
        )
    return locked


def _principals_save(locked: Document, *, fields: list[str]) -> None:
    """Save a locked document's access `fields` and principals, and give its chunks the same.

    Callers hold the row lock and the transaction, and record the change in the access log.
    """
    locked.save(update_fields=[*fields, "principals", "updated_at"])
    Chunk.objects.filter(document=locked).update(principals=locked.principals)
    ChunkTerms.objects.filter(document=locked).update(principals=locked.principals)


def documents_transfer_ownership(*, from_user: Any, to_user: Any, actor_label: str) -> int:
    """Give every document `from_user` owns to `to_user` (None: to nobody); returns how many.

    Each document's principals, its chunks and the access log change in one transaction, as for
    any access change.
    """
    moved = 0
    with transaction.atomic():
        for locked in Document.objects.select_for_update().filter(owner=from_user).order_by("pk"):
            before, before_principals = access_rules(locked), list(locked.principals)
            locked.owner = to_user
            locked.principals = document_principals(
                owner_id=to_user.pk if to_user is not None else None,
                org_wide=locked.org_wide,
                user_ids=locked.allowed_users.values_list("pk", flat=True),
                group_ids=locked.allowed_groups.values_list("pk", flat=True),
            )
            _principals_save(locked, fields=["owner"])
            _record_access_change(
                document=locked,
                kind=DocumentAccessChange.Kind.CHANGED,
                actor=None,
                actor_label=actor_label,
                before=before,
                before_principals=before_principals,
            )
            moved += 1
    return moved


def document_reindex(*, document: Document, enqueue: bool = True) -> Document:
    """Queue a document for ingestion again; its current chunks stay searchable until replaced.

    `enqueue=False` leaves it queued for a caller that ingests it itself.
    """
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        locked.status = Document.Status.QUEUED
        locked.stage = Document.Stage.WAITING
        locked.progress_done = locked.progress_total = locked.attempts = 0
        locked.error = ""
        locked.save()
        if enqueue:
            ingest_document_enqueue(document_id=locked.pk)
    return locked


def document_delete(*, document: Document, actor: Any = None, actor_label: str = "") -> None:
    """Delete a document, its chunks (and their term statistics) and its stored file; logged."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk=document.pk).first()
        if locked is None:
            return
        _record_access_change(
            document=locked,
            kind=DocumentAccessChange.Kind.DELETED,
            actor=actor,
            actor_label=actor_label,
            before=access_rules(locked),
            before_principals=list(locked.principals),
            deleted=True,
        )
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
            ingest_document_enqueue(document_id=document_id)
    if ids:
        logger.warning("re-queued %d stuck document(s): %s", len(ids), ids)
    return ids


def access_rules(document: Document) -> dict[str, Any]:
    """Who may read a document, by name, as the access log stores it (read from the database)."""
    username_field = get_user_model().USERNAME_FIELD
    return {
        "org_wide": document.org_wide,
        "owner": document.owner.get_username() if document.owner is not None else None,
        "groups": sorted(document.allowed_groups.values_list("name", flat=True)),
        "users": sorted(document.allowed_users.values_list(username_field, flat=True)),
    }


def _record_access_change(
    *,
    document: Document,
    kind: str,
    actor: Any,
    actor_label: str,
    before: dict[str, Any] | None,
    before_principals: list[str],
    deleted: bool = False,
) -> DocumentAccessChange:
    """Append one entry to the access log; callers hold the transaction of the change itself."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return DocumentAccessChange.objects.create(
        document_id=document.pk,
        document_title=document.title,
        kind=kind,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else (actor_label or SYSTEM_ACTOR),
        before=before,
        before_principals=before_principals,
        after=None if deleted else access_rules(document),
        after_principals=[] if deleted else list(document.principals),
    )
