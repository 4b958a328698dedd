from __future__ import annotations

import pytest

from retrieval.search import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(ingested, alice, bob, charlie, carol, groups):
    return {
        "org": ingested("canteen.md", b"# Canteen\n\nThe canteen serves lunch from noon.", org_wide=True),
        "hr": ingested(
            "salaries.md", b"# Salaries\n\nThe salary bands are reviewed each March.",
            groups=[groups["HR"]],
        ),
        "eng": ingested(
            "deploys.md", b"# Deploys\n\nProduction deploys happen on Tuesdays.",
            groups=[groups["Engineering"]],
        ),
        "charlie": ingested(
            "review.md", b"# Review\n\nCharlie's performance review is scheduled.", users=[charlie]
        ),
        "alice": ingested("notes.md", b"# Notes\n\nAlice's private notes on hiring.", owner=alice),
    }  # fmt: skip


def seen(user, query="lunch salary deploys review notes"):
    return {p.document_id for p in search(user=user, query=query, k=50)}


def test_alice_in_hr_sees_org_wide_hr_and_her_own(library, alice):
    assert seen(alice) == {library["org"].pk, library["hr"].pk, library["alice"].pk}


def test_bob_in_engineering_sees_org_wide_and_engineering(library, bob):
    assert seen(bob) == {library["org"].pk, library["eng"].pk}


def test_charlie_without_groups_sees_org_wide_and_what_is_shared_with_him(library, charlie):
    assert seen(charlie) == {library["org"].pk, library["charlie"].pk}


def test_carol_the_superuser_gets_no_bypass(library, carol):
    assert seen(carol) == {library["org"].pk}


def test_anonymous_and_inactive_people_see_nothing(library, charlie):
    from django.contrib.auth.models import AnonymousUser

    assert search(user=AnonymousUser(), query="lunch") == []
    assert search(user=None, query="lunch") == []
    charlie.is_active = False
    charlie.save()
    assert search(user=charlie, query="lunch") == []


def test_passages_carry_title_location_and_scores(library, alice):
    (top, *_) = search(user=alice, query="When are salary bands reviewed?", k=3)

    assert top.document_id == library["hr"].pk
    assert top.title == "salaries"
    assert top.location == "Salaries"
    assert "reviewed each March" in top.text
    assert top.dense_score is not None and top.lexical_score is not None
