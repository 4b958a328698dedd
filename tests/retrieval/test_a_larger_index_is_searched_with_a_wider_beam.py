"""HNSW's search breadth grows with the index searched, so recall holds as the corpus grows."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from retrieval.search import EF_SEARCH_MAX, SearchOptions, dense_statement, ef_search_for

pytestmark = pytest.mark.django_db


def test_the_configured_breadth_holds_per_quarter_million_chunks_within_pgvectors_limit():
    assert ef_search_for(200, 0) == 200
    assert ef_search_for(200, 100_000) == 200
    assert ef_search_for(200, 300_000) == 240
    assert ef_search_for(200, 1_000_000) == 800
    assert ef_search_for(200, 5_000_000) == EF_SEARCH_MAX
    # A breadth configured above the default is never lowered.
    assert ef_search_for(900, 10_000) == 900


def test_everyone_in_a_million_chunks_searches_the_full_index_at_four_times_the_breadth():
    options = SearchOptions.configured(ef_search=200)
    with connection.cursor() as cursor:
        statement = dense_statement(
            cursor,
            np.ones(384, dtype=np.float32) / np.sqrt(384),
            ["*"],
            100,
            options,
            visible=990_000,
            total=1_000_000,
        )

    assert statement.method == "hnsw"
    assert "SET LOCAL hnsw.ef_search = 800" in statement.settings
