"""Deleting on the page removes the document, its passages and its stored file."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Chunk, Document
from tests.retrieval.ui.conftest import AS_SCRIPT


def test_delete_removes_the_document(
    staff_client, ingested, carol, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    document = ingested(
        "policy.md", b"# Leave\n\nTwenty days of leave a year.\n", owner=carol, org_wide=True
    )
    storage, name = document.file.storage, document.file.name
    assert storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("documents:delete", args=[document.pk]), **AS_SCRIPT)

    assert response.status_code == 200
    assert response.json() == {"deleted": document.pk}
    assert not Document.objects.filter(pk=document.pk).exists()
    assert not Chunk.objects.filter(document_id=document.pk).exists()
    assert not storage.exists(name)


def test_a_plain_form_delete_returns_to_the_list(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post(reverse("documents:delete", args=[document.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("documents:index")
    assert f"Deleted “{document.title}”." in response.content.decode()
    assert not Document.objects.filter(pk=document.pk).exists()
