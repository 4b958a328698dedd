from __future__ import annotations

import pytest

from assistant.api.tokens import api_token_create
from retrieval.models import Document

from .conftest import bearer


@pytest.mark.django_db
def test_a_chat_token_of_staff_cannot_manage_documents_and_is_told_which_scope_is_needed(
    client, carol, guide
):
    raw = api_token_create(user=carol, name="chat only", scopes=["chat"])[1]

    response = client.delete(f"/api/documents/{guide.pk}", **bearer(raw))

    assert response.status_code == 403
    assert response.json()["error"] == {
        "message": "This token has scope chat; documents needs scope documents.",
        "type": "permission_error",
        "param": None,
        "code": "insufficient_scope",
    }
    assert Document.objects.filter(pk=guide.pk).exists()
    # Chat and the list of documents one may read stay open to it.
    assert client.get("/v1/models", **bearer(raw)).status_code == 200
    assert client.get("/api/documents", **bearer(raw)).status_code == 200


@pytest.mark.django_db
def test_a_documents_token_of_staff_manages_documents_but_cannot_chat(client, carol, guide):
    raw = api_token_create(user=carol, name="uploads", scopes=["documents"])[1]

    listed = client.get("/api/documents", **bearer(raw))
    deleted = client.delete(f"/api/documents/{guide.pk}", **bearer(raw))
    models = client.get("/v1/models", **bearer(raw))

    assert listed.status_code == 200 and [d["id"] for d in listed.json()["data"]] == [guide.pk]
    assert deleted.status_code == 204
    assert not Document.objects.filter(pk=guide.pk).exists()
    assert models.status_code == 403
    assert models.json()["error"]["message"] == (
        "This token has scope documents; chat needs scope chat."
    )


@pytest.mark.django_db
def test_a_token_with_both_scopes_reaches_both(client, carol, guide):
    raw = api_token_create(user=carol, name="both", scopes=["chat", "documents"])[1]

    assert client.get("/v1/models", **bearer(raw)).status_code == 200
    assert client.delete(f"/api/documents/{guide.pk}", **bearer(raw)).status_code == 204
