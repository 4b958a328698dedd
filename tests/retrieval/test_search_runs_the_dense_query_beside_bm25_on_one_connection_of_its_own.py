"""Outside a transaction, search runs the dense query on its embedding thread's own connection,
beside BM25, and ranks exactly as it does inside one transaction."""

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


def test_search_apart_ranks_as_search_in_one_transaction_and_keeps_one_connection(
    ingested, alice, groups
):
    ingested("leave.md", HR, groups=[groups["HR"]])
    ingested("deploys.md", ENGINEERING, groups=[groups["Engineering"]])
    search_module.search_connection_close()
    before = other_connections()

    assert not connection.in_atomic_block
    apart = [search(user=alice, query="holiday allowance", k=8) for _ in range(5)][-1]
    with transaction.atomic():
        together = search(user=alice, query="holiday allowance", k=8)

    assert [(p.chunk_id, p.score, p.dense_score, p.lexical_score) for p in apart] == [
        (p.chunk_id, p.score, p.dense_score, p.lexical_score) for p in together
    ]
    assert apart and apart[0].dense_score is not None and apart[0].lexical_score is not None
    # alice reads HR only: the Engineering document's "holiday" never reaches her.
    assert {p.title for p in apart} == {"leave"}
    # Five searches, one connection kept by the embedding thread, not one per search.
    assert other_connections() == before + 1
    search_module.search_connection_close()
    assert other_connections() == before


def test_a_broken_connection_of_the_embedding_thread_is_opened_again(ingested, alice, groups):
    ingested("leave.md", HR, groups=[groups["HR"]])
    search(user=alice, query="holiday allowance", k=8)
    with connection.cursor() as cursor:
        # The server ends the embedding thread's session, as a restart or an idle timeout would.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    ranking = search(user=alice, query="holiday allowance", k=8)

    assert ranking and ranking[0].dense_score is not None
    search_module.search_connection_close()
