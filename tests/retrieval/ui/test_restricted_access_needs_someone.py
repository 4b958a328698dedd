"""A restricted document must name a group or a person; the reason is shown, nothing changes."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT, markdown


def test_restricted_upload_without_anyone_is_refused(staff_client) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post(
        reverse("documents:upload"), {"uploads": markdown(), "access": "restricted"}, **AS_SCRIPT
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Choose at least one group or person, or make the document org-wide."
    ]
    assert Document.objects.count() == 0


def test_restricting_a_document_to_nobody_is_refused(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    url = reverse("documents:access", args=[document.pk])
    response = staff_client.post(url, {"access": "restricted"}, follow=True)

    assert "Choose at least one group or person" in response.content.decode()
    document.refresh_from_db()
    assert document.org_wide


def test_an_upload_without_files_is_refused(staff_client) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post(reverse("documents:upload"), {"access": "org"}, **AS_SCRIPT)

    assert response.status_code == 400
    assert "Choose at least one file." in response.json()["errors"][0]
