"""Through the API too, Carol (an admin in no group) manages Alice's and HR's documents, reading none.

Every documents endpoint gives her their metadata; the one that returns text, passages, answers her
as chat would: not a reader, so no passages. Dana, staff and in HR, reads HR's passages.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.conftest import PASSWORD

from .conftest import bearer

ALICE_CANARY = "CANARY-HERON-5120"
HR_CANARY = "CANARY-OTTER-8846"


@pytest.mark.django_db
def test_staff_outside_a_document_get_its_metadata_but_none_of_its_text(
    client, alice, carol, groups, ingested, token_for
):
    appraisal = ingested(
        "appraisal.md", f"# Appraisal\n\nAlice's appraisal code is {ALICE_CANARY}.\n", owner=alice
    )
    salaries = ingested(
        "salary-bands.md",
        f"# Salary bands\n\nThe band review code is {HR_CANARY}.\n",
        groups=[groups["HR"]],
    )
    auth = bearer(token_for(carol))
    urls = ["/api/documents", "/api/documents?q=salary", "/api/documents?access=group"]
    for document in (appraisal, salaries):
        urls += [f"/api/documents/{document.pk}", f"/api/documents/{document.pk}/access-log"]

    responses = {url: client.get(url, **auth) for url in urls}
    passages = {
        d.pk: client.get(f"/api/documents/{d.pk}/passages", **auth) for d in (appraisal, salaries)
    }

    for url, response in [*responses.items(), *passages.items()]:
        body = response.content.decode()
        assert ALICE_CANARY not in body and HR_CANARY not in body, url
    assert all(r.status_code == 200 for r in responses.values())
    for document in (appraisal, salaries):
        detail = responses[f"/api/documents/{document.pk}"].json()
        assert detail["title"] == document.title
        assert detail["original_filename"] == document.original_filename
        assert (detail["status"], detail["chunk_count"]) == ("ready", document.chunk_count)
        assert detail["readable"] is False
        refused = passages[document.pk]
        assert refused.status_code == 403
        assert "not among its readers" in refused.json()["error"]["message"]
    assert responses[f"/api/documents/{salaries.pk}"].json()["groups"] == ["HR"]
    assert responses[f"/api/documents/{appraisal.pk}"].json()["owner"] == "alice"
    listed = {d["id"]: d for d in responses["/api/documents"].json()["data"]}
    assert set(listed) == {appraisal.pk, salaries.pk}
    assert not any(d["readable"] for d in listed.values())

    dana = User.objects.create_user("dana", "dana@example.com", PASSWORD, is_staff=True)
    dana.groups.add(groups["HR"])
    dana_auth = bearer(token_for(dana))
    read = client.get(f"/api/documents/{salaries.pk}/passages", **dana_auth)
    assert read.status_code == 200
    assert HR_CANARY in " ".join(p["text"] for p in read.json()["data"])
    assert client.get(f"/api/documents/{salaries.pk}", **dana_auth).json()["readable"] is True
    assert client.get(f"/api/documents/{appraisal.pk}/passages", **dana_auth).status_code == 403
