"""A file over MAX_UPLOAD_BYTES is refused with a clear reason, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings as django_settings
from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT, markdown


def stored_files() -> set[Path]:
    """Every file under the documents storage folder."""
    folder = Path(django_settings.MEDIA_ROOT) / "documents"
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_oversized_upload_is_rejected_and_nothing_stored(staff_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAX_UPLOAD_BYTES = 100
    before = stored_files()
    big = markdown("big.md", "# Big\n\n" + "word " * 100)

    response = staff_client.post(
        reverse("documents:upload"), {"uploads": big, "access": "org"}, **AS_SCRIPT
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "big.md" in error and "over the upload limit of 100" in error
    assert Document.objects.count() == 0
    assert stored_files() == before


def test_the_page_shows_why_an_oversized_upload_was_refused(staff_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MAX_UPLOAD_BYTES = 100
    big = markdown("big.md", "# Big\n\n" + "word " * 100)

    response = staff_client.post(
        reverse("documents:upload"), {"uploads": big, "access": "org"}, follow=True
    )

    assert (
        "big.md is 507\xa0bytes, over the upload limit of 100\xa0bytes" in response.content.decode()
    )
    assert Document.objects.count() == 0
