"""GET /api/documents searches titles and file names and filters by status and (for staff) access."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from retrieval.models import Document
from retrieval.services import document_create

from .conftest import bearer


def document(name: str, **access):  # type: ignore[no-untyped-def]
    return document_create(
        file=ContentFile(f"# {name}\n\nAbout {name}.\n".encode(), name=f"{name}.md"),
        enqueue=False,
        **access,
    )


@pytest.fixture
def library(alice, groups):  # type: ignore[no-untyped-def]
    made = {
        "leave": document("Leave-Policy", org_wide=True),
        "salaries": document("Salary-Bands", groups=[groups["HR"]]),
        "runbook": document("Runbook", groups=[groups["Engineering"]]),
        "appraisal": document("Appraisal", users=[alice]),
    }
    Document.objects.filter(pk=made["runbook"].pk).update(status="failed")
    return {name: d.pk for name, d in made.items()}


@pytest.mark.django_db
def test_staff_search_and_filter_all_documents(client, carol, groups, library, token_for):
    auth = bearer(token_for(carol))

    def listed(**query):  # type: ignore[no-untyped-def]
        response = client.get("/api/documents", query, **auth)
        assert response.status_code == 200, response.content
        return {d["id"] for d in response.json()["data"]}

    assert listed(q="salary") == {library["salaries"]}
    assert listed(q="RUNBOOK.MD") == {library["runbook"]}
    assert listed(status="failed") == {library["runbook"]}
    assert listed(access="org") == {library["leave"]}
    assert listed(access="group") == {library["salaries"], library["runbook"]}
    assert listed(group="HR") == {library["salaries"]}
    assert listed(access="group", group=str(groups["Engineering"].pk)) == {library["runbook"]}
    assert listed(access="person") == {library["appraisal"]}


@pytest.mark.django_db
def test_people_search_only_what_they_may_read(client, bob, library, token_for):
    auth = bearer(token_for(bob))

    # "a" is in Leave-Policy, Salary-Bands and Appraisal; "o" in Leave-Policy and Runbook.
    with_a = client.get("/api/documents", {"q": "a"}, **auth)
    with_o = client.get("/api/documents", {"q": "o"}, **auth)
    by_access = client.get("/api/documents", {"access": "group"}, **auth)

    assert {d["id"] for d in with_a.json()["data"]} == {library["leave"]}
    assert {d["id"] for d in with_o.json()["data"]} == {library["leave"], library["runbook"]}
    assert by_access.status_code == 403
    assert "filter by access" in by_access.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "param", "message"),
    [
        ({"status": "lost"}, "query.status", "Input should be 'queued', 'processing'"),
        ({"access": "everyone"}, "query.access", "Input should be 'org', 'group' or 'person'"),
        ({"group": "Sales"}, "group", "There is no group named (or numbered) “Sales”"),
        ({"access": "org", "group": "HR"}, None, "A group filter goes with access “group” only."),
    ],
)
def test_bad_filters_get_a_clear_400(client, carol, library, token_for, query, param, message):
    response = client.get("/api/documents", query, **bearer(token_for(carol)))

    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"]
    assert error["param"] == param
