from __future__ import annotations

import math
from collections import Counter

import pytest
from django.db import connection

from retrieval import bm25
from retrieval.models import Chunk, CorpusStatistic, LexemeStatistic

pytestmark = pytest.mark.django_db

DOCS = {
    "cats.md": "# Cats\n\nCats sleep. Cats purr when cats are happy.",
    "dogs.md": "# Dogs\n\nDogs bark at the postman and dogs fetch sticks.",
    "pets.md": "# Pets\n\nA household may keep cats, dogs, fish or birds as pets.",
}


def lexemes_of(chunk_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme, cardinality(positions) FROM retrieval_chunkterms, unnest(lexemes) "
            "WHERE chunk_id = %s",
            [chunk_id],
        )
        return dict(cursor.fetchall())


def test_statistics_count_every_chunk_and_lexeme(ingested, alice):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)

    counts = [lexemes_of(c.pk) for c in Chunk.objects.all()]
    expected_df = Counter(lexeme for tf in counts for lexeme in tf)
    stored = dict(LexemeStatistic.objects.values_list("lexeme", "chunk_count"))
    corpus = CorpusStatistic.objects.get()

    assert stored == dict(expected_df)
    assert corpus.chunk_count == len(counts)
    assert corpus.lexeme_total == sum(sum(tf.values()) for tf in counts)


def test_scores_equal_okapi_bm25_computed_in_python(ingested, alice):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)
    k1, b = 0.9, 0.4
    counts = {c.pk: lexemes_of(c.pk) for c in Chunk.objects.all()}
    n = len(counts)
    avgdl = sum(sum(tf.values()) for tf in counts.values()) / n
    df = Counter(lexeme for tf in counts.values() for lexeme in tf)

    def reference(terms, tf):
        length = sum(tf.values())
        return sum(
            math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * length / avgdl))
            for t in terms if t in tf
        )  # fmt: skip

    with connection.cursor() as cursor:
        hits = bm25.bm25_rank(
            cursor, query="happy cats", principals=[f"u:{alice.pk}"], limit=10, k1=k1, b=b
        ).chunks
        terms = bm25.query_lexemes(cursor, "happy cats")

    assert sorted(terms) == ["cat", "happi"]
    assert [h.chunk_id for h in hits][:1] == [
        next(pk for pk, tf in counts.items() if tf.get("purr"))
    ]
    for hit in hits:
        assert hit.score == pytest.approx(reference(terms, counts[hit.chunk_id]), rel=1e-9)


def test_a_candidate_budget_keeps_rare_terms_and_scores_every_term(ingested, alice):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)
    principals = [f"u:{alice.pk}"]
    query = "happy cats"  # "happi" is in one chunk, "cat" in two

    with connection.cursor() as cursor:
        lexemes = bm25.query_lexemes(cursor, query)
        # The rarest term is always taken; the next only if its matches fit the budget.
        assert bm25.candidate_lexemes(cursor, lexemes, visible_share=1.0, budget=1) == ["happi"]
        assert bm25.candidate_lexemes(cursor, lexemes, visible_share=1.0, budget=3) == [
            "happi",
            "cat",
        ]
        # A reader who sees a tenth of the chunks expects a tenth of the matches.
        assert bm25.candidate_lexemes(cursor, lexemes, visible_share=0.1, budget=1) == [
            "happi",
            "cat",
        ]
        full = bm25.bm25_rank(
            cursor, query=query, principals=principals, limit=10, k1=0.9, b=0.4
        ).chunks
        budgeted = bm25.bm25_rank(
            cursor, query=query, principals=principals, limit=10, k1=0.9, b=0.4, budget=1
        ).chunks

    assert len(full) == 2
    # Only the chunk with the rare term is a candidate, and it keeps its full score ("cat" too).
    assert [(h.chunk_id, h.score) for h in budgeted] == [(full[0].chunk_id, full[0].score)]
