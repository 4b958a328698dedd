"""Routes of the staff documents pages (mounted at /documents/)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from retrieval import views

app_name = "documents"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.document_index, name="index"),
    path("upload", views.document_upload, name="upload"),
    path("status", views.document_status, name="status"),
    path("<int:document_id>/", views.document_detail, name="detail"),
    path("<int:document_id>/access", views.document_access, name="access"),
    path("<int:document_id>/reindex", views.document_reindex, name="reindex"),
    path("<int:document_id>/delete", views.document_delete, name="delete"),
]
