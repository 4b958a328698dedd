"""The status endpoint the page polls reports status, stage, progress and failure reasons."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document
from retrieval.services import document_create
from tests.retrieval.ui.conftest import markdown


def test_status_endpoint_returns_status_and_progress(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    Document.objects.filter(pk=document.pk).update(
        status="processing", stage="embedding", progress_done=3, progress_total=10
    )

    response = staff_client.get(reverse("documents:status"), {"ids": str(document.pk)})

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    [row] = response.json()["documents"]
    assert row["id"] == document.pk
    assert (row["status"], row["stage"]) == ("processing", "embedding")
    assert (row["progress_done"], row["progress_total"]) == (3, 10)
    assert row["error"] == ""
    assert row["access_label"] == "Everyone"


def test_status_endpoint_reports_failure_reasons(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    Document.objects.filter(pk=document.pk).update(status="failed", error="The PDF is encrypted.")

    response = staff_client.get(reverse("documents:status"), {"ids": str(document.pk)})

    [row] = response.json()["documents"]
    assert (row["status"], row["error"]) == ("failed", "The PDF is encrypted.")


def test_status_endpoint_adds_documents_newer_than_the_page(staff_client, document, carol) -> None:  # type: ignore[no-untyped-def]
    newer = document_create(file=markdown("newer.md", "# Newer"), owner=carol, org_wide=True)

    response = staff_client.get(
        reverse("documents:status"), {"ids": str(document.pk), "after": str(document.pk)}
    )

    assert [row["id"] for row in response.json()["documents"]] == [newer.pk, document.pk]


def test_status_endpoint_refuses_bad_ids(staff_client) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.get(reverse("documents:status"), {"ids": "1,two"})

    assert response.status_code == 400
    assert response.json()["errors"]
