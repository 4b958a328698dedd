"""Django admin registration: document metadata and the access log for operators.

Changes go through services. Chunks are deliberately not registered: reading document content goes
through the access rules, and admin rights do not widen what a person may read. The access log is
read-only here, as it is in the database.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from retrieval import services
from retrieval.models import Document, DocumentAccessChange


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Documents with their ingestion status (metadata only, never their text)."""

    list_display = ["title", "original_filename", "owner", "org_wide", "status", "stage", "version"]
    list_filter = ["status", "org_wide"]
    search_fields = ["title", "original_filename", "sha256"]
    # Not the stored file: a link to it would offer the whole text to anyone who manages documents
    # (media is never served, so it would also be a dead link).
    exclude = ["file"]
    readonly_fields = [
        f.name
        for f in Document._meta.get_fields()
        if f.concrete and not f.many_to_many and f.name != "file"
    ]
    actions = ["reindex"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Uploads hash, store and queue the file: they go through document_create, not this form.
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        services.document_delete(document=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_delete(document=document, actor=request.user)

    @admin.action(description="Re-index the selected documents")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document in queryset:
            services.document_reindex(document=document)


@admin.register(DocumentAccessChange)
class DocumentAccessChangeAdmin(admin.ModelAdmin):
    """The append-only access log: viewable, never added to, changed or deleted here."""

    list_display = ["created_at", "document_id", "document_title", "kind", "actor_name"]
    list_filter = ["kind"]
    search_fields = ["document_title", "actor_name"]
    readonly_fields = [f.name for f in DocumentAccessChange._meta.get_fields() if f.concrete]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
