from __future__ import annotations

import pytest

from assistant.api.tokens import api_token_create
from retrieval.models import Document

from .conftest import bearer


@pytest.mark.django_db
def test_the_documents_scope_is_refused_once_its_user_is_no_longer_staff(client, carol, guide):
    raw = api_token_create(user=carol, name="uploads", scopes=["chat", "documents"])[1]
    assert client.post(f"/api/documents/{guide.pk}/reindex", **bearer(raw)).status_code == 200

    carol.is_staff = False
    carol.save()
    response = client.delete(f"/api/documents/{guide.pk}", **bearer(raw))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert "documents scope is for staff only" in response.json()["error"]["message"]
    assert Document.objects.filter(pk=guide.pk).exists()
    # Its chat scope is not a staff scope and keeps working.
    assert client.get("/v1/models", **bearer(raw)).status_code == 200


@pytest.mark.django_db
def test_a_documents_only_token_of_former_staff_cannot_even_list_documents(client, carol, guide):
    raw = api_token_create(user=carol, name="uploads", scopes=["documents"])[1]
    carol.is_staff = False
    carol.save()

    response = client.get("/api/documents", **bearer(raw))

    assert response.status_code == 403
    assert "documents scope is for staff only" in response.json()["error"]["message"]
