"""The passages endpoint reads like chat: Alice reads HR's text, Bob gets the 404 of a missing one."""

from __future__ import annotations

import pytest

from .conftest import CANARY, bearer


@pytest.mark.django_db
def test_passages_need_the_same_access_as_chat(client, alice, bob, groups, ingested, token_for):
    salaries = ingested(
        "salary-bands.md", f"# Salary bands\n\nThe code is {CANARY}.\n", groups=[groups["HR"]]
    )

    allowed = client.get(f"/api/documents/{salaries.pk}/passages", **bearer(token_for(alice)))
    bob_auth = bearer(token_for(bob))
    forbidden = client.get(f"/api/documents/{salaries.pk}/passages", **bob_auth)
    missing = client.get(f"/api/documents/{salaries.pk + 1000}/passages", **bob_auth)

    assert allowed.status_code == 200
    body = allowed.json()
    assert body["total"] == salaries.chunk_count == len(body["data"])
    assert CANARY in body["data"][0]["text"]
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert CANARY not in forbidden.content.decode()
