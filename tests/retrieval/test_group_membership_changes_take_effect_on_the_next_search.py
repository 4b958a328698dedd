from __future__ import annotations

import pytest

from retrieval.search import search

pytestmark = pytest.mark.django_db

QUERY = "Which laptop do new engineers get?"


def test_joining_a_group_grants_and_leaving_it_revokes(ingested, charlie, groups):
    guide = ingested(
        "onboarding.md",
        b"# Onboarding\n\nNew engineers get a laptop on their first day.",
        groups=[groups["Engineering"]],
    )

    def found():
        return guide.pk in {p.document_id for p in search(user=charlie, query=QUERY)}

    assert not found()
    charlie.groups.add(groups["Engineering"])
    assert found()
    charlie.groups.remove(groups["Engineering"])
    assert not found()
