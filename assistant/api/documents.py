"""Documents REST endpoints: upload, list, status, access, re-index and delete, with token auth.

Everyone lists and reads the status of the documents they may read (retrieval's access function);
staff manage documents, so they list all of them and alone may upload, change access, re-index and
delete. No endpoint here returns document content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from assistant.api.auth import documents_auth, documents_read_auth, token_user
from assistant.api.errors import ApiError
from retrieval import access, selectors, services
from retrieval.models import Document

router = Router(auth=documents_auth, tags=["Documents"])


class DocumentOut(Schema):
    id: int
    title: str
    original_filename: str
    content_type: str
    size: int
    status: str
    stage: str
    progress_done: int
    progress_total: int
    error: str
    chunk_count: int
    org_wide: bool
    created_at: datetime
    updated_at: datetime
    # Who may read it: shown to staff only, who manage access.
    groups: list[str] | None = None
    users: list[str] | None = None


class DocumentListOut(Schema):
    object: str = "list"
    data: list[DocumentOut]


class AccessIn(Schema):
    org_wide: bool = False
    groups: list[str] = []
    users: list[str] = []


def _document_out(document: Document, *, manager: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        field: getattr(document, field)
        for field in DocumentOut.model_fields
        if field not in ("groups", "users")
    }
    if manager:
        out["groups"] = sorted(g.name for g in document.allowed_groups.all())
        out["users"] = sorted(u.get_username() for u in document.allowed_users.all())
    return out


def _is_manager(request: HttpRequest) -> bool:
    return bool(token_user(request).is_staff)


def _require_manager(request: HttpRequest) -> None:
    if not _is_manager(request):
        raise ApiError("Only staff can manage documents.", 403)


def _managed_document(document_id: int) -> Document:
    document = selectors.document_get(document_id=document_id)
    if document is None:
        raise Http404
    return document


def _access_targets(group_names: list[str], usernames: list[str]) -> tuple[list[Group], list[Any]]:
    """Groups and users named in a request; 400 if any name is unknown."""
    names = {n for name in group_names for n in name.split(",") if n.strip()}
    groups = list(Group.objects.filter(name__in={n.strip() for n in names}))
    if len(groups) != len(names):
        missing = sorted({n.strip() for n in names} - {g.name for g in groups})
        raise ApiError(f"Unknown group(s): {', '.join(missing)}.", 400, param="groups")
    user_model = get_user_model()
    wanted = {n.strip() for name in usernames for n in name.split(",") if n.strip()}
    users = list(user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": wanted}))
    if len(users) != len(wanted):
        missing = sorted(wanted - {u.get_username() for u in users})
        raise ApiError(f"Unknown user(s): {', '.join(missing)}.", 400, param="users")
    return groups, users


@router.get("", response=DocumentListOut, auth=documents_read_auth)
def documents_list(request: HttpRequest, status: str | None = None) -> dict[str, Any]:
    """Documents you may read (staff: all documents), newest first; optionally by status."""
    manager = _is_manager(request)
    documents = (
        selectors.document_list() if manager else access.documents_visible_to(token_user(request))
    )
    if status:
        documents = documents.filter(status=status)
    return {"object": "list", "data": [_document_out(d, manager=manager) for d in documents]}


@router.get("/{int:document_id}", response=DocumentOut, auth=documents_read_auth)
def documents_status(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """One document's status and ingestion progress; 404 alike for missing and not yours."""
    manager = _is_manager(request)
    if manager:
        document = _managed_document(document_id)
    else:
        document = access.document_visible_to(token_user(request), document_id)
    return _document_out(document, manager=manager)


@router.post("", response={201: DocumentOut})
def documents_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    title: Form[str] = "",
    org_wide: Form[bool] = False,
    groups: Form[list[str]] = [],  # noqa: B006 (ninja reads it, never mutates it)
    users: Form[list[str]] = [],  # noqa: B006
) -> Status:
    """Upload a file for ingestion (staff); it is queued and its status moves to ready or failed."""
    _require_manager(request)
    if file.size is not None and file.size > settings.MAX_UPLOAD_BYTES:
        raise ApiError(
            f"The file is larger than {settings.MAX_UPLOAD_BYTES} bytes.", 413, param="file"
        )
    allowed_groups, allowed_users = _access_targets(groups, users)
    try:
        document = services.document_create(
            file=file,
            title=title,
            owner=token_user(request),
            org_wide=org_wide,
            groups=allowed_groups,
            users=allowed_users,
            filename=file.name or "",
        )
    except services.DuplicateDocument as exc:
        raise ApiError(str(exc), 409, code="duplicate_document") from None
    return Status(201, _document_out(document, manager=True))


@router.put("/{int:document_id}/access", response=DocumentOut)
def documents_set_access(request: HttpRequest, document_id: int, body: AccessIn) -> dict[str, Any]:
    """Replace who may read a document (staff)."""
    _require_manager(request)
    document = _managed_document(document_id)
    allowed_groups, allowed_users = _access_targets(body.groups, body.users)
    document = services.document_set_access(
        document=document, org_wide=body.org_wide, groups=allowed_groups, users=allowed_users
    )
    return _document_out(document, manager=True)


@router.post("/{int:document_id}/reindex", response=DocumentOut)
def documents_reindex(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """Queue a document for ingestion again (staff)."""
    _require_manager(request)
    document = services.document_reindex(document=_managed_document(document_id))
    return _document_out(document, manager=True)


@router.delete("/{int:document_id}", response={204: None})
def documents_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    """Delete a document, its passages and its file (staff)."""
    _require_manager(request)
    services.document_delete(document=_managed_document(document_id))
    return HttpResponse(status=204)
