"""Re-index puts a failed document back in the queue with its old reason cleared."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT


def test_reindex_queues_the_document_again(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    Document.objects.filter(pk=document.pk).update(status="failed", error="The file is encrypted.")

    response = staff_client.post(reverse("documents:reindex", args=[document.pk]), **AS_SCRIPT)

    assert response.status_code == 200
    assert response.json()["document"]["status"] == "queued"
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED
    assert document.error == ""
