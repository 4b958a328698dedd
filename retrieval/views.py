"""Staff pages for documents: upload, search, live status, access and its history, re-index, delete.

These are management pages. Staff see every document's metadata (title, file, status, who may read
it, the access log), never its text by virtue of being staff: the detail page shows a document's
passages only to a staff member whose own principals let them read it, through retrieval.access,
exactly as chat does. Each endpoint answers JSON to the page's script (Accept: application/json)
and redirects with a message to a plain form post, so the page also works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from retrieval import selectors, services
from retrieval.forms import AccessForm, DocumentFilterForm, UploadForm, form_errors, size_error
from retrieval.models import Chunk, Document, DocumentAccessChange
from retrieval.parsers import FORMATS

NOT_FOUND = "No such page."
DOCUMENTS_PER_PAGE = 100
CHUNKS_PER_PAGE = 50
# The most rows one status poll may ask about; a page never shows more than DOCUMENTS_PER_PAGE.
MAX_STATUS_IDS = 500


def require_staff(request: HttpRequest) -> None:
    """Http404 unless the signed-in person is active staff."""
    # 404 rather than 403: these pages do not admit to existing for people who cannot use them.
    if not (request.user.is_active and request.user.is_staff):
        raise Http404(NOT_FOUND)


def staff_document(request: HttpRequest, document_id: int) -> Document:
    """The one access check for a document here: Http404 alike for non-staff and missing."""
    require_staff(request)
    document = selectors.document_get(document_id=document_id)
    if document is None:
        raise Http404(NOT_FOUND)
    return document


@login_required
@require_GET
def document_index(request: HttpRequest) -> HttpResponse:
    """The documents page: upload zone, search and filters, and a live table of documents."""
    require_staff(request)
    filters = DocumentFilterForm(request.GET)
    valid = filters.is_valid()
    # A bad filter shows why instead of a list that silently ignores it.
    documents = filters.documents() if valid else Document.objects.none()
    page = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [document_json(d) for d in page.object_list]
    return render(
        request,
        "documents/index.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "filter_errors": [] if valid else form_errors(filters),
            "status_choices": Document.Status.values,
            "group_names": list(selectors.group_names()),
            "upload_form": UploadForm(),
            "access_form": AccessForm(auto_id="access_%s"),
            # The page warns before sending a file the server would refuse anyway.
            "max_upload_bytes": settings.MAX_UPLOAD_BYTES,
            "accept": ",".join(sorted(FORMATS)),
        },
        status=200 if valid else 400,
    )


@login_required
@require_POST
def document_upload(request: HttpRequest) -> HttpResponse:
    """Store the uploaded files with the chosen access and queue them for ingestion."""
    require_staff(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return failure(request, form_errors(form))
    results = [upload_one(request, form, file) for file in form.cleaned_data["uploads"]]
    stored = [r for r in results if r["ok"]]
    errors = [r["error"] for r in results if not r["ok"]]
    if wants_json(request):
        status = 201 if not errors else (400 if not stored else 200)
        return JsonResponse({"results": results, "errors": errors}, status=status)
    if stored:
        messages.success(request, f"Queued {len(stored)} document(s) for indexing.")
    for error in errors:
        messages.error(request, error)
    return redirect("documents:index")


def upload_one(request: HttpRequest, form: UploadForm, file: UploadedFile) -> dict[str, Any]:
    """Store one file of an upload; a result with either the document or the reason it failed."""
    name = file.name or "upload"
    too_large = size_error(file)
    if too_large:
        return {"name": name, "ok": False, "error": too_large}
    try:
        document = services.document_create(
            file=file,
            filename=name,
            owner=request.user,
            actor=request.user,
            org_wide=form.org_wide,
            groups=form.cleaned_data["groups"],
            users=form.cleaned_data["users"],
        )
    except services.DuplicateDocument as duplicate:
        existing = duplicate.existing
        return {
            "name": name,
            "ok": False,
            "error": f"{name}: {duplicate}",
            "duplicate_of": {"id": existing.pk, "url": detail_url(existing.pk)},
        }
    fresh = selectors.document_get(document_id=document.pk)
    return {"name": name, "ok": True, "document": document_json(fresh or document)}


@login_required
@require_GET
@never_cache
def document_status(request: HttpRequest) -> JsonResponse:
    """Status and progress of the documents a page shows (`ids`), plus any newer than `after`.

    Newer documents are those matching the page's search and filters (the same query parameters).
    """
    require_staff(request)
    filters = DocumentFilterForm(request.GET)
    if not filters.is_valid():
        return JsonResponse({"errors": form_errors(filters)}, status=400)
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip()]
        after = int(request.GET.get("after") or 0)
    except ValueError:
        return JsonResponse({"errors": ["ids and after must be document numbers."]}, status=400)
    if len(ids) > MAX_STATUS_IDS:
        return JsonResponse({"errors": [f"Ask for at most {MAX_STATUS_IDS} ids."]}, status=400)
    documents = selectors.document_list().filter(pk__in=ids)
    newer: list[Document] = []
    if after:
        # Documents added elsewhere (API, CLI, another tab) appear without a reload.
        newer = list(filters.documents().filter(pk__gt=after)[:DOCUMENTS_PER_PAGE])
    seen: set[int] = set()
    rows = []
    for document in [*newer, *documents]:
        if document.pk not in seen:
            seen.add(document.pk)
            rows.append(document_json(document))
    return JsonResponse({"documents": rows})


@login_required
@require_GET
def document_detail(request: HttpRequest, document_id: int) -> HttpResponse:
    """One document: metadata, access and its history, live status; passages for its readers."""
    document = staff_document(request, document_id)
    # Managing a document does not make one its reader: passages go through the access rules.
    readable = selectors.document_readable_by(user=request.user, document=document)
    passages = (
        selectors.document_passages(user=request.user, document=document)
        if readable
        else Chunk.objects.none()
    )
    chunks = Paginator(passages, CHUNKS_PER_PAGE).get_page(request.GET.get("page"))
    history = [
        access_change_json(c) for c in selectors.document_access_changes(document_id=document.pk)
    ]
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "row": document_json(document),
            "readable": readable,
            "chunks": chunks,
            "history": history,
            "access_form": AccessForm(initial=access_initial(document)),
        },
    )


@login_required
@require_POST
def document_access(request: HttpRequest, document_id: int) -> HttpResponse:
    """Change who may read a document (its chunks follow in the same transaction)."""
    document = staff_document(request, document_id)
    form = AccessForm(request.POST)
    if not form.is_valid():
        return failure(request, form_errors(form), back=detail_url(document.pk))
    services.document_set_access(
        document=document,
        org_wide=form.org_wide,
        groups=form.cleaned_data["groups"],
        users=form.cleaned_data["users"],
        actor=request.user,
    )
    return success(request, document.pk, f"Access to “{document.title}” changed.")


@login_required
@require_POST
def document_reindex(request: HttpRequest, document_id: int) -> HttpResponse:
    """Queue a document for indexing again."""
    document = staff_document(request, document_id)
    services.document_reindex(document=document)
    return success(request, document.pk, f"“{document.title}” is queued for re-indexing.")


@login_required
@require_POST
def document_delete(request: HttpRequest, document_id: int) -> HttpResponse:
    """Delete a document with its chunks and stored file."""
    document = staff_document(request, document_id)
    services.document_delete(document=document, actor=request.user)
    if wants_json(request):
        return JsonResponse({"deleted": document_id})
    messages.success(request, f"Deleted “{document.title}”.")
    return redirect("documents:index")


def wants_json(request: HttpRequest) -> bool:
    """Whether the caller is the page's script (it asks for JSON first) rather than a form post."""
    accept = request.headers.get("Accept", "")
    return accept.split(",")[0].strip().startswith("application/json")


def failure(request: HttpRequest, errors: list[str], *, back: str = "") -> HttpResponse:
    """Report bad input: JSON 400 to the script, page messages after a plain form post."""
    if wants_json(request):
        return JsonResponse({"errors": errors}, status=400)
    for error in errors:
        messages.error(request, error)
    return redirect(back or reverse("documents:index"))


def success(request: HttpRequest, document_id: int, message: str) -> HttpResponse:
    """The document as it now is (JSON), or back to its page with a message."""
    if wants_json(request):
        document = selectors.document_get(document_id=document_id)
        if document is None:
            raise Http404(NOT_FOUND)
        return JsonResponse({"document": document_json(document), "message": message})
    messages.success(request, message)
    return redirect(detail_url(document_id))


def detail_url(document_id: int) -> str:
    """The detail page of a document."""
    return reverse("documents:detail", args=[document_id])


def access_initial(document: Document) -> dict[str, Any]:
    """The access form's initial values for a document."""
    return {
        "access": "org" if document.org_wide else "restricted",
        "groups": [g.pk for g in document.allowed_groups.all()],
        "users": [u.pk for u in document.allowed_users.all()],
    }


def owner_label(document: Document) -> str:
    """The owner's username; an owner whose account was deactivated shows as a former employee."""
    if document.owner is None:
        return ""
    name = document.owner.get_username()
    return name if document.owner.is_active else f"{name} (former employee)"


def access_label(document: Document) -> str:
    """Who may read a document, in a few words."""
    if document.org_wide:
        return "Everyone"
    names = [g.name for g in document.allowed_groups.all()]
    names += [u.get_username() for u in document.allowed_users.all()]
    owner = owner_label(document)
    if not names:
        return f"Only {owner}" if owner else "Nobody"
    return ", ".join(sorted(names, key=str.lower))


def rules_label(rules: dict[str, Any] | None) -> str:
    """Access rules as the access log stored them, in a few words."""
    if rules is None:
        return "—"
    if rules.get("org_wide"):
        readers = "Everyone"
    else:
        names = [*rules.get("groups", []), *rules.get("users", [])]
        readers = ", ".join(sorted(names, key=str.lower)) or "Nobody else"
    owner = rules.get("owner")
    return f"{readers} (owner {owner})" if owner else readers


def access_change_json(change: DocumentAccessChange) -> dict[str, Any]:
    """One entry of a document's access history, as the detail page shows it."""
    return {
        "id": change.pk,
        "kind": change.kind,
        "actor": change.actor_name,
        "at": dateformat.format(timezone.localtime(change.created_at), "Y-m-d H:i:s"),
        "before": rules_label(change.before),
        "after": rules_label(change.after),
    }


def document_json(document: Document) -> dict[str, Any]:
    """What the page shows of a document; the shape the script renders rows from."""
    pk = document.pk
    return {
        "id": pk,
        "title": document.title,
        "filename": document.original_filename,
        "size": document.size,
        "size_label": filesizeformat(document.size),
        "status": document.status,
        "stage": document.stage,
        "progress_done": document.progress_done,
        "progress_total": document.progress_total,
        "error": document.error,
        "chunk_count": document.chunk_count,
        "version": document.version,
        "owner": owner_label(document),
        "org_wide": document.org_wide,
        "groups": [{"id": g.pk, "name": g.name} for g in document.allowed_groups.all()],
        "users": [{"id": u.pk, "name": u.get_username()} for u in document.allowed_users.all()],
        "access_label": access_label(document),
        "updated": dateformat.format(timezone.localtime(document.updated_at), "Y-m-d H:i:s"),
        "urls": {
            "detail": detail_url(pk),
            "access": reverse("documents:access", args=[pk]),
            "reindex": reverse("documents:reindex", args=[pk]),
            "delete": reverse("documents:delete", args=[pk]),
        },
    }
