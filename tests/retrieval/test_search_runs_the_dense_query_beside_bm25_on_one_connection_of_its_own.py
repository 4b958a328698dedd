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


def backend_pid() -> int:
    """The server process of this thread's connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_search_apart_ranks_as_search_in_one_transaction_and_keeps_one_connection(
    ingested, alice, groups
):
    ingested("leave.md", HR, groups=[groups["HR"]])
    ingested("deploys.md", ENGINEERING, groups=[groups["Engineering"]])

    assert not connection.in_atomic_block
    backends = set()
    for _ in range(5):
        apart = search(user=alice, query="holiday allowance", k=8)
        backends.add(search_module._embedder().submit(backend_pid).result())
    with transaction.atomic():
        together = search(user=alice, query="holiday allowance", k=8)

    assert [(p.chunk_id, p.score, p.dense_score, p.lexical_score) for p in apart] == [
        (p.chunk_id, p.score, p.dense_score, p.lexical_score) for p in together
    ]
    assert apart and apart[0].dense_score is not None and apart[0].lexical_score is not None
    # alice reads HR only: the Engineering document's "holiday" never reaches her.
    assert {p.title for p in apart} == {"leave"}
    # Five searches, one connection of the embedding thread's own, kept: not one per search.
    assert len(backends) == 1 and backend_pid() not in backends
    search_module.search_connection_close()
    assert not search_module._embedder().submit(lambda: connection.connection).result()


def test_a_broken_connection_of_the_embedding_thread_is_opened_again(ingested, alice, groups):
    ingested("leave.md", HR, groups=[groups["HR"]])
    search(user=alice, query="holiday allowance", k=8)
    embedding_thread_backend = search_module._embedder().submit(backend_pid).result()
    assert embedding_thread_backend != backend_pid()
    with connection.cursor() as cursor:
        # The server ends the embedding thread's session, as a restart or an idle timeout would.
        cursor.execute("SELECT pg_terminate_backend(%s)", [embedding_thread_backend])

    ranking = search(user=alice, query="holiday allowance", k=8)

    assert ranking and ranking[0].dense_score is not None
    search_module.search_connection_close()
