"""Outside a transaction, search runs BM25 on a second connection beside the dense query."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from retrieval import search as search_module
from retrieval.search import search

pytestmark = pytest.mark.django_db(transaction=True)

HR = b"# Leave\n\nHoliday allowance is 25 days a year. Unused holiday carries over until March."
ENGINEERING = (
    b"# Deploys\n\nDeploys happen on Tuesdays. A holiday freeze stops deploys in December."
)


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_search_apart_returns_what_search_in_one_transaction_returns_and_leaves_no_connection(
    ingested, alice, groups
):
    ingested("leave.md", HR, groups=[groups["HR"]])
    ingested("deploys.md", ENGINEERING, groups=[groups["Engineering"]])
    before = other_connections()

    assert not connection.in_atomic_block
    apart = search(user=alice, query="holiday allowance", k=8)
    # It went through the BM25 threads (created on first use).
    assert search_module._lexical_executor is not None
    with transaction.atomic():
        together = search(user=alice, query="holiday allowance", k=8)

    assert [(p.chunk_id, p.score, p.lexical_score) for p in apart] == [
        (p.chunk_id, p.score, p.lexical_score) for p in together
    ]
    assert apart and apart[0].lexical_score is not None
    # alice reads HR only: the Engineering document's "holiday" never reaches her.
    assert {p.title for p in apart} == {"leave"}
    # The second connection is closed after use, as a request's is (CONN_MAX_AGE 0).
    assert other_connections() == before
