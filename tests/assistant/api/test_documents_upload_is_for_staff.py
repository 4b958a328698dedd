from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from retrieval.models import Document

from .conftest import bearer


def handbook(name: str = "handbook.md") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"# Handbook\n\nBreakfast is served at eight.\n")


@pytest.mark.django_db
def test_staff_upload_a_document_restricted_to_a_group(client, carol, alice, token_for):
    response = client.post(
        "/api/documents",
        {"file": handbook(), "title": "HR handbook", "groups": ["HR"]},
        **bearer(token_for(carol)),
    )

    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body["title"] == "HR handbook" and body["status"] == "queued"
    assert body["groups"] == ["HR"] and body["org_wide"] is False
    assert document.owner == carol and document.original_filename == "handbook.md"
    assert document.principals == sorted({f"g:{alice.groups.get().pk}", f"u:{carol.pk}"})


@pytest.mark.django_db
def test_people_who_are_not_staff_cannot_upload(client, alice, token_for):
    response = client.post(
        "/api/documents", {"file": handbook(), "org_wide": "true"}, **bearer(token_for(alice))
    )

    assert response.status_code == 403
    assert response.json()["error"]["type"] == "permission_error"
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_uploading_the_same_file_twice_is_a_409_naming_the_first(client, carol, token_for):
    raw = token_for(carol)
    first = client.post("/api/documents", {"file": handbook()}, **bearer(raw)).json()

    again = client.post("/api/documents", {"file": handbook("copy.md")}, **bearer(raw))

    assert again.status_code == 409
    assert str(first["id"]) in again.json()["error"]["message"]


@pytest.mark.django_db
def test_an_unknown_group_is_a_400(client, carol, token_for):
    response = client.post(
        "/api/documents",
        {"file": handbook(), "groups": ["Finance"]},
        **bearer(token_for(carol)),
    )

    assert response.status_code == 400
    assert "Finance" in response.json()["error"]["message"]
    assert not Document.objects.exists()
