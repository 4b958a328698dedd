"""Uploading the same bytes again names the document that already holds them."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT, markdown


def test_duplicate_upload_is_reported(staff_client, document) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.post(
        reverse("documents:upload"),
        {"uploads": markdown("copy-of-handbook.md"), "access": "org"},
        **AS_SCRIPT,
    )

    assert response.status_code == 400
    [result] = response.json()["results"]
    assert not result["ok"]
    assert "already uploaded" in result["error"]
    assert result["duplicate_of"]["id"] == document.pk
    assert Document.objects.count() == 1
