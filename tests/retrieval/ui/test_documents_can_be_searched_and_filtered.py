"""The documents page searches titles and file names and filters by status and access, page by page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from retrieval import views
from retrieval.models import Document
from retrieval.services import document_create
from tests.retrieval.ui.conftest import markdown


@pytest.fixture
def library(carol, alice, groups):  # type: ignore[no-untyped-def]
    """Four documents, one per kind of access; the runbook failed to index."""

    def make(name: str, **access) -> Document:  # type: ignore[no-untyped-def]
        return document_create(file=markdown(f"{name}.md", f"# {name}\n"), owner=carol, **access)

    made = {
        "leave": make("Leave-Policy", org_wide=True),
        "salaries": make("Salary-Bands", groups=[groups["HR"]]),
        "runbook": make("Runbook", groups=[groups["Engineering"]]),
        "appraisal": make("Appraisal", users=[alice]),
    }
    Document.objects.filter(pk=made["runbook"].pk).update(status="failed")
    return made


def listed(client, **query) -> set[int]:  # type: ignore[no-untyped-def]
    response = client.get(reverse("documents:index"), query)
    assert response.status_code == 200, response.content.decode()
    return {int(i) for i in re.findall(r'data-doc data-id="(\d+)"', response.content.decode())}


def test_documents_can_be_searched_and_filtered(staff_client, library, groups) -> None:  # type: ignore[no-untyped-def]
    ids = {name: document.pk for name, document in library.items()}

    assert listed(staff_client) == set(ids.values())
    assert listed(staff_client, q="SALARY") == {ids["salaries"]}
    assert listed(staff_client, q="runbook.md") == {ids["runbook"]}
    assert listed(staff_client, status="failed") == {ids["runbook"]}
    assert listed(staff_client, access="org") == {ids["leave"]}
    assert listed(staff_client, access="group") == {ids["salaries"], ids["runbook"]}
    assert listed(staff_client, access="group", group="HR") == {ids["salaries"]}
    assert listed(staff_client, group=str(groups["Engineering"].pk)) == {ids["runbook"]}
    assert listed(staff_client, access="person") == {ids["appraisal"]}
    assert listed(staff_client, q="a", access="group", status="queued") == {ids["salaries"]}


def test_the_search_form_keeps_its_values(staff_client, library) -> None:  # type: ignore[no-untyped-def]
    page = staff_client.get(reverse("documents:index"), {"q": "bands", "status": "queued"})

    body = page.content.decode()
    assert 'role="search"' in body
    assert 'name="q" value="bands"' in body
    assert '<option value="queued" selected>' in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "lost"}, "Status: Select a valid choice. lost is not one of"),
        ({"access": "everyone"}, "Access: Select a valid choice. everyone is not one of"),
        ({"group": "Sales"}, "There is no group named (or numbered) “Sales”"),
        ({"access": "org", "group": "HR"}, "A group filter goes with access “group” only."),
    ],
)
def test_bad_filters_are_explained_on_the_page(staff_client, library, query, message) -> None:  # type: ignore[no-untyped-def]
    response = staff_client.get(reverse("documents:index"), query)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert not re.findall(r'data-doc data-id="(\d+)"', body)


def test_pages_of_results_keep_the_search(staff_client, library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(views, "DOCUMENTS_PER_PAGE", 1)
    first = staff_client.get(reverse("documents:index"), {"access": "group"}).content.decode()

    assert 'href="?access=group&amp;page=2"' in first
    second = listed(staff_client, access="group", page="2")
    assert second == {library["salaries"].pk}


def test_the_status_poll_adds_only_new_documents_that_match(staff_client, library, carol) -> None:  # type: ignore[no-untyped-def]
    news = document_create(file=markdown("hr-news.md", "# News"), owner=carol, org_wide=True)

    matching = staff_client.get(
        reverse("documents:status"), {"ids": "", "after": library["appraisal"].pk, "q": "news"}
    )
    other = staff_client.get(
        reverse("documents:status"), {"ids": "", "after": library["appraisal"].pk, "q": "bands"}
    )
    bad = staff_client.get(reverse("documents:status"), {"ids": "", "status": "lost"})

    assert [row["id"] for row in matching.json()["documents"]] == [news.pk]
    assert other.json()["documents"] == []
    assert bad.status_code == 400 and bad.json()["errors"]
