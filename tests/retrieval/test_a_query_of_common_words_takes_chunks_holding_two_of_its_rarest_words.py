from __future__ import annotations

import pytest
from django.db import connection

from retrieval import bm25
from retrieval.models import Chunk

pytestmark = pytest.mark.django_db

DOCS = {
    "n1.md": "Cats and dogs share this garden.",
    "n2.md": "Cats sleep all afternoon.",
    "n3.md": "Dogs bark at the postman.",
    "n4.md": "Cats, dogs and fish live in this house.",
    "n5.md": "Fish swim in the pond.",
}


def test_when_even_the_rarest_word_exceeds_the_budget_a_candidate_must_hold_two_rare_words(
    ingested, alice
):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)
    principals = [f"u:{alice.pk}"]
    query = "cats dogs"  # "cat" and "dog" are each in three chunks

    with connection.cursor() as cursor:
        full = bm25.bm25_rank(
            cursor, query=query, principals=principals, limit=10, k1=0.9, b=0.4
        ).chunks
        # Within budget the rarest word alone picks the candidates, as before.
        assert (
            bm25.candidate_tsquery(cursor, ["cat", "dog"], visible_share=1.0, budget=3) == "'cat'"
        )
        budgeted = bm25.bm25_rank(
            cursor, query=query, principals=principals, limit=10, k1=0.9, b=0.4, budget=1
        ).chunks

    both = {
        chunk.pk
        for chunk in Chunk.objects.all()
        if "cats" in chunk.text.lower() and "dogs" in chunk.text.lower()
    }
    assert len(full) == 4
    assert len(both) == 2
    # Only the chunks with both words are candidates, and they keep their full scores.
    full_scores = {hit.chunk_id: hit.score for hit in full}
    assert {hit.chunk_id for hit in budgeted} == both
    assert all(hit.score == pytest.approx(full_scores[hit.chunk_id]) for hit in budgeted)
