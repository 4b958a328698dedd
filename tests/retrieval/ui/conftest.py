"""Helpers for the staff documents pages: a signed-in client and small uploads."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

# What the page's script sends: the views answer it in JSON instead of redirecting.
AS_SCRIPT: dict[str, str] = {"HTTP_ACCEPT": "application/json"}


def markdown(
    name: str = "handbook.md", text: str = "# Leave\n\nTwenty days of leave a year.\n"
) -> Any:
    """A small Markdown upload."""
    return SimpleUploadedFile(name, text.encode(), content_type="text/markdown")


@pytest.fixture
def staff_client(client, carol):  # type: ignore[no-untyped-def]
    """A test client signed in as Carol, who manages documents."""
    client.force_login(carol)
    return client


@pytest.fixture
def document(carol):  # type: ignore[no-untyped-def]
    """An org-wide document Carol uploaded, still queued."""
    from retrieval.services import document_create

    return document_create(file=markdown(), owner=carol, org_wide=True)
