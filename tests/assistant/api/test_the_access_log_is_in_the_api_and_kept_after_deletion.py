"""Carol uploads, grants herself access and deletes through the API; the access log tells it all,
stays readable after the document is gone, and is for staff only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import bearer


@pytest.mark.django_db
def test_the_access_log_is_in_the_api_and_kept_after_deletion(
    client, alice, bob, carol, groups, token_for
):
    auth = bearer(token_for(carol))
    upload = SimpleUploadedFile("bands.md", b"# Bands\n\nBands start at 48,000.\n")
    created = client.post(
        "/api/documents", {"file": upload, "groups": ["HR"], "title": "Bands"}, **auth
    )
    document_id = created.json()["id"]
    granted = client.put(
        f"/api/documents/{document_id}/access",
        '{"groups": ["HR"], "users": ["carol"]}',
        content_type="application/json",
        **auth,
    )
    assert granted.status_code == 200
    assert client.delete(f"/api/documents/{document_id}", **auth).status_code == 204

    log = client.get(f"/api/documents/{document_id}/access-log", **auth)

    assert log.status_code == 200
    deleted, grant, creation = log.json()["data"]
    assert [e["kind"] for e in (deleted, grant, creation)] == ["deleted", "changed", "created"]
    assert {e["actor"] for e in (deleted, grant, creation)} == {"carol"}
    assert {e["document_title"] for e in (deleted, grant, creation)} == {"Bands"}
    assert creation["before"] is None
    rules = {"org_wide": False, "owner": "carol", "groups": ["HR"]}
    assert creation["after"] | {"principals": None} == rules | {"users": [], "principals": None}
    assert grant["before"]["users"] == [] and grant["after"]["users"] == ["carol"]
    assert f"u:{carol.pk}" in grant["after"]["principals"]
    assert deleted["before"] == grant["after"] and deleted["after"] is None

    assert (
        client.get(f"/api/documents/{document_id}/access-log", **bearer(token_for(alice)))
    ).status_code == 403
    assert client.get("/api/documents/999999/access-log", **auth).status_code == 404
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/documents/{document_id}/access-log"]["get"]
    assert "AccessLogOut" in str(operation["responses"]["200"])
