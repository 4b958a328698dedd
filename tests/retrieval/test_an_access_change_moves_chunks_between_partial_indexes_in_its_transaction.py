"""A document moved from one group to another is found through the new group's partial index, and
no longer through the old one's, inside the transaction that moved it."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection, transaction

from retrieval.models import Chunk
from retrieval.partial_indexes import index_name, partial_indexes_sync, predicate
from retrieval.services import document_set_access
from tests.retrieval.conftest import document_with_random_chunks

pytestmark = pytest.mark.django_db


def add_document(number, *, group, rng, chunks=3):
    return document_with_random_chunks(number, rng=rng, groups=[group], chunks=chunks)


def through_index(principal, vector):
    """Chunk ids found by the partial index of `principal` (the plan is checked to be that index)."""
    literal = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
    sql = (
        f"SELECT id FROM retrieval_chunk WHERE {predicate(principal)} "  # noqa: S608
        "ORDER BY embedding <=> %s::vector LIMIT 100"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", [literal])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Index Scan using {index_name(principal)}" in plan, plan
        cursor.execute(sql, [literal])
        return {row[0] for row in cursor.fetchall()}


def test_an_access_change_moves_the_chunks_to_the_new_groups_index_at_once(groups):
    rng = np.random.default_rng(11)
    hr, engineering = groups["HR"], groups["Engineering"]
    for number in range(5):
        add_document(number, group=hr, rng=rng)
    for number in range(5, 10):
        add_document(number, group=engineering, rng=rng)
    # A third group holds most chunks, so neither HR nor Engineering is over half the corpus.
    other = type(hr).objects.create(name="Sales")
    for number in range(10, 25):
        add_document(number, group=other, rng=rng)
    moved = add_document(25, group=hr, rng=rng)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks must not be pending when an index is built.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ANALYZE retrieval_chunk")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    report = partial_indexes_sync(min_chunks=10, concurrently=False)
    hr_principal, engineering_principal = f"g:{hr.pk}", f"g:{engineering.pk}"
    assert {hr_principal, engineering_principal} <= set(report.created)
    chunk_ids = set(Chunk.objects.filter(document=moved).values_list("id", flat=True))
    vector = rng.normal(size=384).astype(np.float32)
    assert chunk_ids <= through_index(hr_principal, vector)
    assert not chunk_ids & through_index(engineering_principal, vector)

    with transaction.atomic():
        document_set_access(document=moved, org_wide=False, groups=[engineering])
        # Still inside the transaction that changed the access.
        assert chunk_ids <= through_index(engineering_principal, vector)
        assert not chunk_ids & through_index(hr_principal, vector)
    assert chunk_ids <= through_index(engineering_principal, vector)
    assert not chunk_ids & through_index(hr_principal, vector)
