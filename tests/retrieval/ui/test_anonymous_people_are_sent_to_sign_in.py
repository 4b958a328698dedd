"""Signed-out visitors are sent to the sign-in page, not shown the documents pages."""

from __future__ import annotations

from django.urls import reverse

from retrieval.models import Document


def test_anonymous_people_are_sent_to_sign_in(client, document) -> None:  # type: ignore[no-untyped-def]
    for url in (reverse("documents:index"), reverse("documents:detail", args=[document.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("documents:delete", args=[document.pk]))
    assert response.status_code == 302
    assert Document.objects.filter(pk=document.pk).exists()
