"""Who may read what: the one place that turns a user into principals and filters by them.

A user's principals are ``{"*", "u:<id>"} ∪ {"g:<group id>"}``; a document's are ``"*"`` when it is
org-wide, plus its owner, allowed users and allowed groups. A row is readable when the two sets
overlap. Admin rights do not widen this: superusers read only what their principals allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.http import Http404

from retrieval.models import Chunk, Document

if TYPE_CHECKING:
    from django.db.models import QuerySet

ORG_WIDE = "*"
NOT_FOUND = "No such document or passage."


def user_principal(user_id: int) -> str:
    """The principal naming one user."""
    return f"u:{user_id}"


def group_principal(group_id: int) -> str:
    """The principal naming one group."""
    return f"g:{group_id}"


def principals_for(user: Any) -> list[str]:
    """The principals of `user`; empty for anonymous or inactive users, who read nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    # Read from the database every time: a group change takes effect on the next query.
    group_ids = user.groups.values_list("id", flat=True)
    return [ORG_WIDE, user_principal(user.pk), *(group_principal(g) for g in group_ids)]


def document_principals(
    *, owner_id: int | None, org_wide: bool, user_ids: Iterable[int], group_ids: Iterable[int]
) -> list[str]:
    """The principals that may read a document with this access; sorted for stable storage."""
    principals = {user_principal(u) for u in user_ids} | {group_principal(g) for g in group_ids}
    if org_wide:
        principals.add(ORG_WIDE)
    if owner_id is not None:
        principals.add(user_principal(owner_id))
    return sorted(principals)


def documents_visible_to(user: Any) -> QuerySet[Document]:
    """Documents `user` may read, in any status."""
    principals = principals_for(user)
    if not principals:
        return Document.objects.none()
    return Document.objects.filter(principals__overlap=principals)


def chunks_visible_to(user: Any) -> QuerySet[Chunk]:
    """Chunks `user` may read."""
    principals = principals_for(user)
    if not principals:
        return Chunk.objects.none()
    return Chunk.objects.filter(principals__overlap=principals)


def document_visible_to(user: Any, document_id: int) -> Document:
    """The document if `user` may read it; Http404 alike for missing and forbidden."""
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise Http404(NOT_FOUND)
    return document


def chunk_visible_to(user: Any, chunk_id: int) -> Chunk:
    """The chunk if `user` may read it; Http404 alike for missing and forbidden."""
    chunk = chunks_visible_to(user).select_related("document").filter(pk=chunk_id).first()
    if chunk is None:
        raise Http404(NOT_FOUND)
    return chunk


def documents_visible_to_everyone() -> QuerySet[Document]:
    """Documents every signed-in person may read (org-wide): what a shared channel may see."""
    return Document.objects.filter(principals__overlap=[ORG_WIDE])
