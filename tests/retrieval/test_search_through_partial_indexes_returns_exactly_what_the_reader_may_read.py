"""Through a group's partial index plus an exact branch for the rest, the dense query returns every
chunk the reader may read, ranked as an exact scan ranks them, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, transaction

from retrieval.access import chunks_visible_to, principals_for
from retrieval.partial_indexes import partial_indexes_sync
from retrieval.search import SearchOptions, _dense, _visible_chunks, dense_statement
from tests.retrieval.conftest import document_with_random_chunks

pytestmark = pytest.mark.django_db

add_document = document_with_random_chunks


def test_partial_branches_return_the_exact_answer_over_the_readers_chunks(alice, bob, groups):
    rng = np.random.default_rng(3)
    for number in range(12):
        add_document(number, groups=[groups["HR"]], rng=rng)
    for number in range(12, 45):
        add_document(number, groups=[groups["Engineering"]], rng=rng)
    add_document(45, users=[alice], rng=rng)  # shared with alice herself, outside HR
    add_document(46, users=[bob], rng=rng)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ANALYZE retrieval_chunk")
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert partial_indexes_sync(min_chunks=40, concurrently=False).created == [
        f"g:{groups['HR'].pk}"
    ]
    principals = principals_for(alice)
    readable = set(chunks_visible_to(alice).values_list("id", flat=True))
    options = SearchOptions.configured(exact_search_max_chunks=10, candidates=100)
    exact = SearchOptions.configured(exact=True, candidates=100)
    for _ in range(5):
        vector = rng.normal(size=384).astype(np.float32)
        with transaction.atomic(), connection.cursor() as cursor:
            visible, total = _visible_chunks(cursor, principals)
            statement = dense_statement(
                cursor, vector, principals, 100, options, visible=visible, total=total
            )
            assert statement.method == "partial"
            found = _dense(cursor, vector, principals, 100, options, visible=visible, total=total)
            truth = _dense(cursor, vector, principals, 100, exact, visible=visible, total=total)
        assert [row[0] for row in found] == [row[0] for row in truth]
        assert {row[0] for row in found} == readable
