"""Changing access on the page changes the document and every one of its passages at once."""

from __future__ import annotations

from django.urls import reverse

from retrieval.access import documents_visible_to, group_principal, user_principal
from retrieval.models import Chunk
from tests.retrieval.ui.conftest import AS_SCRIPT


def test_change_access_updates_the_document_and_its_passages(
    staff_client, ingested, carol, alice, bob, groups
) -> None:  # type: ignore[no-untyped-def]
    document = ingested(
        "policy.md", b"# Leave\n\nTwenty days of leave a year.\n", owner=carol, org_wide=True
    )
    assert Chunk.objects.filter(document=document).exists()

    response = staff_client.post(
        reverse("documents:access", args=[document.pk]),
        {"access": "restricted", "groups": [groups["HR"].pk]},
        **AS_SCRIPT,
    )

    assert response.status_code == 200
    assert response.json()["document"]["access_label"] == "HR"
    document.refresh_from_db()
    expected = sorted([group_principal(groups["HR"].pk), user_principal(carol.pk)])
    assert not document.org_wide
    assert sorted(document.principals) == expected
    for principals in Chunk.objects.filter(document=document).values_list("principals", flat=True):
        assert sorted(principals) == expected
    assert documents_visible_to(alice).filter(pk=document.pk).exists()
    assert not documents_visible_to(bob).filter(pk=document.pk).exists()
