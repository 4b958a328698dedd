"""Reads on documents for the people who manage them (staff pages, API, CLI).

Managing a document means its metadata, access rules and history. Its text (passages) is read only
through retrieval.access, with the reader's own principals, whatever their admin rights.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from retrieval.access import chunks_visible_to, documents_visible_to
from retrieval.models import Chunk, Document, DocumentAccessChange

# The `access` filter of document_list: org-wide, restricted to groups, restricted to people.
ACCESS_ORG = "org"
ACCESS_GROUP = "group"
ACCESS_PERSON = "person"
ACCESS_FILTERS = (ACCESS_ORG, ACCESS_GROUP, ACCESS_PERSON)


def document_list(
    *, q: str = "", status: str = "", access: str = "", group: Group | None = None
) -> QuerySet[Document]:
    """Documents (metadata only) with their owner and readers, newest first, optionally filtered.

    `q` matches title or file name (case-insensitive); `access` is "org", "group" (only `group`'s
    when given) or "person"; a `group` alone means access "group". ValueError for unknown values.
    """
    documents = Document.objects.select_related("owner").prefetch_related(
        "allowed_groups", "allowed_users"
    )
    if q.strip():
        documents = documents.filter(
            Q(title__icontains=q.strip()) | Q(original_filename__icontains=q.strip())
        )
    if status:
        if status not in Document.Status.values:
            raise ValueError(
                f"Unknown status {status!r}: use one of {', '.join(Document.Status.values)}."
            )
        documents = documents.filter(status=status)
    if group is not None and not access:
        access = ACCESS_GROUP
    if access and access not in ACCESS_FILTERS:
        raise ValueError(f"Unknown access {access!r}: use one of {', '.join(ACCESS_FILTERS)}.")
    if group is not None and access != ACCESS_GROUP:
        raise ValueError("A group filter goes with access “group” only.")
    if access == ACCESS_ORG:
        documents = documents.filter(org_wide=True)
    elif access == ACCESS_GROUP:
        groups = Document.allowed_groups.through.objects.filter(document_id=OuterRef("pk"))
        if group is not None:
            groups = groups.filter(group_id=group.pk)
        documents = documents.filter(Exists(groups), org_wide=False)
    elif access == ACCESS_PERSON:
        users = Document.allowed_users.through.objects.filter(document_id=OuterRef("pk"))
        documents = documents.filter(Exists(users), org_wide=False)
    return documents


def group_find(*, name_or_id: str) -> Group | None:
    """The group with this name (exactly), else with this id; None when there is neither."""
    value = name_or_id.strip()
    group = Group.objects.filter(name=value).first()
    if group is None and value.isdigit():
        group = Group.objects.filter(pk=int(value)).first()
    return group


def group_names() -> list[str]:
    """The names of all groups, alphabetically (for the group filter)."""
    return list(Group.objects.order_by("name").values_list("name", flat=True))


def document_get(*, document_id: int) -> Document | None:
    """One document by id (metadata only), or None."""
    return document_list().filter(pk=document_id).first()


def document_progress(*, document_ids: list[int]) -> list[dict[str, object]]:
    """Status, stage and progress of some documents, for live status displays."""
    rows = Document.objects.filter(pk__in=document_ids).values(
        "id", "status", "stage", "progress_done", "progress_total", "error", "chunk_count"
    )
    return [dict(row) for row in rows]


def document_readable_by(*, user: Any, document: Document) -> bool:
    """Whether `user`'s own principals let them read the document's text (admin rights do not)."""
    return documents_visible_to(user).filter(pk=document.pk).exists()


def document_passages(*, user: Any, document: Document) -> QuerySet[Chunk]:
    """The document's passages that `user` may read, in reading order, without their vectors."""
    return (
        chunks_visible_to(user)
        .filter(document_id=document.pk)
        .defer("embedding")
        .order_by("ordinal")
    )


def document_access_changes(*, document_id: int) -> QuerySet[DocumentAccessChange]:
    """A document's access log, newest first; kept after the document is deleted."""
    return DocumentAccessChange.objects.filter(document_id=document_id).order_by(
        "-created_at", "-id"
    )
