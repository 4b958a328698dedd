"""Alice, Bob and Charlie are not staff: the documents pages do not exist for them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT, markdown


def endpoints(document_id: int) -> list[tuple[str, str]]:
    """Every page and endpoint of the documents pages, with its method."""
    return [
        ("get", reverse("documents:index")),
        ("post", reverse("documents:upload")),
        ("get", reverse("documents:status") + f"?ids={document_id}"),
        ("get", reverse("documents:detail", args=[document_id])),
        ("post", reverse("documents:access", args=[document_id])),
        ("post", reverse("documents:reindex", args=[document_id])),
        ("post", reverse("documents:delete", args=[document_id])),
    ]


@pytest.mark.parametrize("person", ["alice", "bob", "charlie"])
def test_non_staff_get_404_on_every_documents_page(client, document, person, request) -> None:  # type: ignore[no-untyped-def]
    client.force_login(request.getfixturevalue(person))
    for method, url in endpoints(document.pk):
        data = (
            {"uploads": markdown("other.md", "# Other"), "access": "org"}
            if method == "post"
            else {}
        )
        response = getattr(client, method)(url, data, **AS_SCRIPT)
        assert response.status_code == 404, (method, url)
    # Nothing they sent had any effect.
    document.refresh_from_db()
    assert Document.objects.count() == 1
    assert document.status == Document.Status.QUEUED


def test_a_missing_document_is_404_for_staff_too(staff_client) -> None:  # type: ignore[no-untyped-def]
    for method, url in endpoints(987654)[3:]:
        assert getattr(staff_client, method)(url, **AS_SCRIPT).status_code == 404, url
