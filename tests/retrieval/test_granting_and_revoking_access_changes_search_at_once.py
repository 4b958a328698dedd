from __future__ import annotations

import pytest

from retrieval.models import Chunk
from retrieval.search import search
from retrieval.services import document_set_access

pytestmark = pytest.mark.django_db

QUERY = "When is the office closed for the winter holiday?"


@pytest.fixture
def memo(ingested, alice):
    return ingested(
        "holiday.md", b"# Holidays\n\nThe office is closed for the winter holiday.", owner=alice
    )


def found(user, memo):
    return memo.pk in {p.document_id for p in search(user=user, query=QUERY)}


def test_granting_a_group_lets_its_members_find_the_document(memo, bob, groups):
    assert not found(bob, memo)

    document_set_access(document=memo, org_wide=False, groups=[groups["Engineering"]])

    assert found(bob, memo)


def test_granting_a_user_lets_only_that_user_find_it(memo, bob, charlie):
    document_set_access(document=memo, org_wide=False, users=[charlie])

    assert found(charlie, memo)
    assert not found(bob, memo)


def test_making_it_org_wide_and_back_again(memo, bob, charlie):
    document_set_access(document=memo, org_wide=True)
    assert found(bob, memo) and found(charlie, memo)

    document_set_access(document=memo, org_wide=False)
    assert not found(bob, memo) and not found(charlie, memo)


def test_the_owner_keeps_access_whatever_else_changes(memo, alice):
    document_set_access(document=memo, org_wide=False)

    assert found(alice, memo)


def test_every_chunk_carries_the_documents_new_principals(memo, groups):
    document = document_set_access(document=memo, org_wide=False, groups=[groups["HR"]])

    stored = list(Chunk.objects.filter(document=memo).values_list("principals", flat=True))
    assert stored and all(p == document.principals for p in stored)
    assert f"g:{groups['HR'].pk}" in document.principals
