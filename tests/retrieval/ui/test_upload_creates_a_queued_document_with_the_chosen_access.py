"""An upload stores the file and queues it, readable by exactly the chosen people."""

from __future__ import annotations

import pytest
from django.urls import reverse

from retrieval.access import group_principal, user_principal
from retrieval.models import Document
from tests.retrieval.ui.conftest import AS_SCRIPT, markdown


@pytest.mark.parametrize("choice", ["org", "groups", "users"])
def test_upload_creates_a_queued_document_with_the_chosen_access(
    staff_client, carol, alice, bob, groups, choice
) -> None:  # type: ignore[no-untyped-def]
    access = {
        "org": {"access": "org"},
        "groups": {"access": "restricted", "groups": [groups["HR"].pk]},
        "users": {"access": "restricted", "users": [alice.pk, bob.pk]},
    }[choice]
    response = staff_client.post(
        reverse("documents:upload"), {"uploads": markdown(), **access}, **AS_SCRIPT
    )

    assert response.status_code == 201, response.json()
    [result] = response.json()["results"]
    assert result["ok"] and result["document"]["status"] == "queued"
    document = Document.objects.get(pk=result["document"]["id"])
    assert document.status == Document.Status.QUEUED
    assert document.original_filename == "handbook.md"
    assert document.owner == carol
    expected = {
        "org": ["*"],
        "groups": [group_principal(groups["HR"].pk)],
        "users": [user_principal(alice.pk), user_principal(bob.pk)],
    }[choice]
    assert sorted(document.principals) == sorted([*expected, user_principal(carol.pk)])
    assert document.org_wide is (choice == "org")
    assert list(document.allowed_groups.all()) == ([groups["HR"]] if choice == "groups" else [])
    assert set(document.allowed_users.all()) == ({alice, bob} if choice == "users" else set())
