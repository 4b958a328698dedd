"""Documents REST endpoints: upload, list and search, status, access and its log, re-index, delete,
and passages, with token auth.

Everyone lists and reads the status of the documents they may read (retrieval's access function);
staff manage documents, so they see the metadata of all of them (who may read each, its access log)
and alone may upload, change access, re-index and delete. Managing is not reading: the one endpoint
that returns document text, passages, goes through retrieval's access function for everyone, staff
included.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from assistant.api.auth import (
    documents_auth,
    documents_read_auth,
    token_may_manage_documents,
    token_user,
)
from assistant.api.errors import ApiError
from retrieval import access, selectors, services
from retrieval.forms import DocumentFilterForm
from retrieval.models import Document, DocumentAccessChange

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
    started_at: datetime | None = Field(None, description="When indexing last started.")
    finished_at: datetime | None = Field(None, description="When indexing last finished.")
    readable: bool = Field(
        description=(
            "Whether you may read its passages: your own access, which staff rights do not widen."
        )
    )
    # Who may read it: shown to staff only, who manage access.
    owner: str | None = None
    groups: list[str] | None = None
    users: list[str] | None = None


class DocumentListOut(Schema):
    object: str = "list"
    data: list[DocumentOut]


class AccessRulesOut(Schema):
    org_wide: bool
    owner: str | None = Field(None, description="The uploader, who may always read it.")
    groups: list[str]
    users: list[str]
    principals: list[str] = Field(description="The rules as stored on the document's passages.")


class AccessChangeOut(Schema):
    id: int
    document_id: int
    document_title: str = Field(description="The title when the change was made.")
    kind: Literal["created", "changed", "deleted"]
    actor: str = Field(
        description="Username of who made the change, or what made it (`manage.py ingest`)."
    )
    created_at: datetime
    before: AccessRulesOut | None = Field(description="None for a creation.")
    after: AccessRulesOut | None = Field(description="None for a deletion.")


class AccessLogOut(Schema):
    object: str = "list"
    data: list[AccessChangeOut]


class PassageOut(Schema):
    id: int
    ordinal: int
    heading_path: str
    page: int | None
    location: str
    text: str


class PassagePage(Schema):
    offset: int = Field(0, ge=0, description="Passages to skip.")
    limit: int = Field(50, ge=1, le=200, description="Passages to return.")


class PassageListOut(Schema):
    object: str = "list"
    document_id: int
    total: int
    data: list[PassageOut]


class DocumentFilters(Schema):
    q: str = Field("", description="Search titles and file names (case-insensitive).")
    status: Literal["queued", "processing", "ready", "failed"] | None = None
    access: Literal["org", "group", "person"] | None = Field(
        None,
        description=(
            "Staff only: org-wide documents, ones restricted to groups (to `group` when given), "
            "or ones restricted to listed people."
        ),
    )
    group: str = Field("", description="Staff only: a group's name or id (implies access=group).")


class AccessIn(Schema):
    org_wide: bool = False
    groups: list[str] = []
    users: list[str] = []


def _document_out(document: Document, *, manager: bool, user: Any) -> dict[str, Any]:
    readable = selectors.document_readable_by(user=user, document=document)
    return _document_fields(document, manager=manager, readable=readable)


def _document_fields(document: Document, *, manager: bool, readable: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        field: getattr(document, field)
        for field in DocumentOut.model_fields
        if field not in ("owner", "groups", "users", "readable")
    }
    out["readable"] = readable
    if manager:
        out["owner"] = document.owner.get_username() if document.owner is not None else None
        out["groups"] = sorted(g.name for g in document.allowed_groups.all())
        out["users"] = sorted(u.get_username() for u in document.allowed_users.all())
    return out


def _rules_out(rules: dict[str, Any] | None, principals: list[str]) -> dict[str, Any] | None:
    if rules is None:
        return None
    return {**rules, "principals": principals}


def _access_change_out(change: DocumentAccessChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "document_id": change.document_id,
        "document_title": change.document_title,
        "kind": change.kind,
        "actor": change.actor_name,
        "created_at": change.created_at,
        "before": _rules_out(change.before, change.before_principals),
        "after": _rules_out(change.after, change.after_principals),
    }


NOT_A_READER = (
    "You manage this document but are not among its readers, so its passages are not shown."
)


def _is_manager(request: HttpRequest) -> bool:
    # A staff member's chat-only token reads like anyone's: managing needs the documents scope.
    return bool(token_user(request).is_staff) and token_may_manage_documents(request)


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
def documents_list(request: HttpRequest, filters: Query[DocumentFilters]) -> dict[str, Any]:
    """Documents you may read (staff: all documents' metadata), newest first; searched and filtered.

    400 for an unknown status, access or group; the access filters are for staff.
    """
    manager = _is_manager(request)
    user = token_user(request)
    if (filters.access or filters.group) and not manager:
        raise ApiError("Only staff, who manage access, can filter by access.", 403, param="access")
    form = DocumentFilterForm(
        {
            "q": filters.q,
            "status": filters.status or "",
            "access": filters.access or "",
            "group": filters.group,
        }
    )
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        message = " ".join(str(error) for error in errors)
        raise ApiError(message, 400, param=None if field == "__all__" else field)
    visible = access.documents_visible_to(user)
    documents = form.documents()
    if not manager:
        documents = documents.filter(pk__in=visible.values("pk"))
    found = list(documents)
    readable = set(visible.filter(pk__in=[d.pk for d in found]).values_list("pk", flat=True))
    return {
        "object": "list",
        "data": [_document_fields(d, manager=manager, readable=d.pk in readable) for d in found],
    }


@router.get("/{int:document_id}", response=DocumentOut, auth=documents_read_auth)
def documents_status(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """One document's status and ingestion progress; 404 alike for missing and not yours."""
    manager = _is_manager(request)
    user = token_user(request)
    if manager:
        document = _managed_document(document_id)
    else:
        document = access.document_visible_to(user, document_id)
    return _document_out(document, manager=manager, user=user)


@router.get("/{int:document_id}/passages", response=PassageListOut, auth=documents_read_auth)
def documents_passages(
    request: HttpRequest, document_id: int, page: Query[PassagePage]
) -> dict[str, Any]:
    """A document's passages (its text), in reading order, for those who may read it.

    The same access as chat, for staff too: a staff member who is not among the document's
    readers gets 403; anyone else gets the same 404 for missing and forbidden documents.
    """
    user = token_user(request)
    if _is_manager(request):
        document = _managed_document(document_id)
        if not selectors.document_readable_by(user=user, document=document):
            raise ApiError(NOT_A_READER, 403, code="not_a_reader")
    else:
        document = access.document_visible_to(user, document_id)
    passages = selectors.document_passages(user=user, document=document)
    return {
        "object": "list",
        "document_id": document.pk,
        "total": passages.count(),
        "data": list(passages[page.offset : page.offset + page.limit]),
    }


@router.get("/{int:document_id}/access-log", response=AccessLogOut)
def documents_access_log(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """Every change of who may read a document, newest first (staff); kept after deletion."""
    _require_manager(request)
    changes = list(selectors.document_access_changes(document_id=document_id))
    if not changes and selectors.document_get(document_id=document_id) is None:
        raise Http404
    return {"object": "list", "data": [_access_change_out(c) for c in changes]}


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
            actor=token_user(request),
        )
    except services.DuplicateDocument as exc:
        raise ApiError(str(exc), 409, code="duplicate_document") from None
    return Status(201, _document_out(document, manager=True, user=token_user(request)))


@router.put("/{int:document_id}/access", response=DocumentOut)
def documents_set_access(request: HttpRequest, document_id: int, body: AccessIn) -> dict[str, Any]:
    """Replace who may read a document (staff)."""
    _require_manager(request)
    document = _managed_document(document_id)
    allowed_groups, allowed_users = _access_targets(body.groups, body.users)
    document = services.document_set_access(
        document=document,
        org_wide=body.org_wide,
        groups=allowed_groups,
        users=allowed_users,
        actor=token_user(request),
    )
    return _document_out(document, manager=True, user=token_user(request))


@router.post("/{int:document_id}/reindex", response=DocumentOut)
def documents_reindex(request: HttpRequest, document_id: int) -> dict[str, Any]:
    """Queue a document for ingestion again (staff)."""
    _require_manager(request)
    document = services.document_reindex(document=_managed_document(document_id))
    return _document_out(document, manager=True, user=token_user(request))


@router.delete("/{int:document_id}", response={204: None})
def documents_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    """Delete a document, its passages and its file (staff)."""
    _require_manager(request)
    services.document_delete(document=_managed_document(document_id), actor=token_user(request))
    return HttpResponse(status=204)
