from __future__ import annotations

import json

import pytest

from retrieval.models import Document

from .conftest import bearer


@pytest.mark.django_db
def test_staff_delete_a_document(client, carol, guide, token_for):
    response = client.delete(f"/api/documents/{guide.pk}", **bearer(token_for(carol)))

    assert response.status_code == 204
    assert not Document.objects.filter(pk=guide.pk).exists()


@pytest.mark.django_db
def test_someone_who_may_read_a_document_still_cannot_delete_it(client, bob, guide, token_for):
    response = client.delete(f"/api/documents/{guide.pk}", **bearer(token_for(bob)))

    assert response.status_code == 403
    assert Document.objects.filter(pk=guide.pk).exists()


@pytest.mark.django_db
def test_staff_restrict_a_document_to_a_group_and_others_lose_it(
    client, bob, carol, guide, token_for
):
    response = client.put(
        f"/api/documents/{guide.pk}/access",
        json.dumps({"org_wide": False, "groups": ["HR"]}),
        content_type="application/json",
        **bearer(token_for(carol)),
    )

    assert response.status_code == 200, response.content
    assert response.json()["groups"] == ["HR"] and response.json()["org_wide"] is False
    bob_list = client.get("/api/documents", **bearer(token_for(bob))).json()["data"]
    assert bob_list == []
