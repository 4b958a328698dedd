"""A plain form post with several files queues each of them and says so on the page."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document
from tests.retrieval.ui.conftest import markdown


def test_several_files_upload_in_one_request(staff_client) -> None:  # type: ignore[no-untyped-def]
    files = [markdown("one.md", "# One"), markdown("two.md", "# Two")]
    response = staff_client.post(
        reverse("documents:upload"), {"uploads": files, "access": "org"}, follow=True
    )

    assert response.status_code == 200
    assert sorted(Document.objects.values_list("original_filename", flat=True)) == [
        "one.md",
        "two.md",
    ]
    assert "Queued 2 document(s) for indexing." in response.content.decode()
