"""The detail page shows a document's readers what the indexer made of it (Carol owns this one)."""

from __future__ import annotations

from django.urls import reverse


def test_detail_page_shows_the_passages(staff_client, ingested, carol) -> None:  # type: ignore[no-untyped-def]
    text = b"# Leave\n\nEveryone gets twenty days of paid leave a year.\n"
    document = ingested("policy.md", text, owner=carol, org_wide=True)

    response = staff_client.get(reverse("documents:detail", args=[document.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Everyone gets twenty days of paid leave a year." in page
    assert "Leave" in page and "ready" in page


def test_the_list_page_shows_documents_and_the_upload_zone(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.get(reverse("documents:index"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="dropzone"' in page and 'name="uploads"' in page
    assert document.title in page and "queued" in page
