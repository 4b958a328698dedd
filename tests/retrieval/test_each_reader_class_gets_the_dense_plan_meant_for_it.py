"""Readers of a small slice get an exact scan, a large group its partial index, everyone the full one."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from retrieval.access import principals_for
from retrieval.partial_indexes import index_name, partial_indexes_sync
from retrieval.search import SearchOptions, explain_dense
from tests.retrieval.conftest import document_with_random_chunks

pytestmark = pytest.mark.django_db

add_document = document_with_random_chunks


def test_small_sets_scan_exactly_large_groups_use_their_index_and_everyone_the_full_one(
    alice, bob, charlie, groups
):
    rng = np.random.default_rng(7)
    for number in range(12):  # HR: 48 chunks, a quarter of the corpus
        add_document(number, groups=[groups["HR"]], rng=rng)
    for number in range(12, 45):  # Engineering: 132 chunks
        add_document(number, groups=[groups["Engineering"]], rng=rng)
    add_document(45, users=[charlie], rng=rng)  # charlie alone: 4 chunks
    everyone = type(charlie).objects.create(username="everyone")
    everyone.groups.set(groups.values())
    with connection.cursor() as cursor:
        # The rows' deferred foreign-key checks run now: an index cannot be built on a table
        # with checks pending in the same transaction (a real sync runs in its own).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # HR holds more than the threshold and less than half: it gets a partial index; Engineering
    # holds more than half, so the full index's filter already keeps most rows.
    report = partial_indexes_sync(min_chunks=40, concurrently=False)
    assert report.created == [f"g:{groups['HR'].pk}"]
    with connection.cursor() as cursor:
        # A 180-row table is cheaper to read whole (or through the principals index) and sort
        # than to search by vector index; the choice a large table gets is what is pinned here.
        cursor.execute("ANALYZE retrieval_chunk")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    options = SearchOptions.configured(exact_search_max_chunks=10, candidates=10)
    vector = rng.normal(size=384).astype(np.float32)

    def plan(user):
        return explain_dense(principals=principals_for(user), vector=vector, options=options)

    hr_index = index_name(f"g:{groups['HR'].pk}")
    method, charlie_plan = plan(charlie)
    assert method == "exact"
    assert "hnsw" not in charlie_plan

    method, alice_plan = plan(alice)
    assert method == "partial"
    assert f"Index Scan using {hr_index}" in alice_plan
    assert "chunk_embedding_hnsw" not in alice_plan

    # Even where reading the group's rows and sorting them looks cheaper to the planner (here a
    # small table; at 100k chunks a row estimate ten times too low), the partial plan walks the
    # group's index: its statement turns sorts off wherever an index can give the order.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
        cursor.execute("SET LOCAL enable_bitmapscan = on")
        cursor.execute("SET LOCAL enable_sort = on")
    method, alice_plan = plan(alice)
    assert method == "partial"
    assert f"Index Scan using {hr_index}" in alice_plan
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")

    method, everyone_plan = plan(everyone)
    assert method == "hnsw"
    assert "Index Scan using chunk_embedding_hnsw" in everyone_plan
    assert hr_index not in everyone_plan
