from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from retrieval.services import document_create

from .conftest import bearer


def document(name: str, **access):  # type: ignore[no-untyped-def]
    return document_create(
        file=ContentFile(f"# {name}\n\nSome text about {name}.\n".encode(), name=f"{name}.md"),
        enqueue=False,
        **access,
    )


@pytest.mark.django_db
def test_each_person_lists_what_they_may_read_and_staff_list_everything(
    client, alice, bob, carol, groups, token_for
):
    salaries = document("salary-bands", groups=[groups["HR"]])
    office = document("office-guide", org_wide=True)

    def listed(user):  # type: ignore[no-untyped-def]
        response = client.get("/api/documents", **bearer(token_for(user)))
        assert response.status_code == 200
        return {d["id"]: d for d in response.json()["data"]}

    assert set(listed(alice)) == {salaries.pk, office.pk}
    assert set(listed(bob)) == {office.pk}
    assert set(listed(carol)) == {salaries.pk, office.pk}
    # Who else may read a document is for staff to see.
    assert listed(bob)[office.pk]["groups"] is None
    assert listed(carol)[salaries.pk]["groups"] == ["HR"]


@pytest.mark.django_db
def test_the_status_of_a_document_you_may_not_read_is_the_same_404_as_a_missing_one(
    client, alice, bob, groups, token_for
):
    salaries = document("salary-bands", groups=[groups["HR"]])
    bob_token = token_for(bob)

    forbidden = client.get(f"/api/documents/{salaries.pk}", **bearer(bob_token))
    missing = client.get(f"/api/documents/{salaries.pk + 1000}", **bearer(bob_token))
    allowed = client.get(f"/api/documents/{salaries.pk}", **bearer(token_for(alice)))

    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()
    assert allowed.status_code == 200
    assert allowed.json()["status"] == "queued"
