"""Documents are scored by BM25 over their whole text, beside their chunks, and fused into search."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import pytest
from django.db import connection

from retrieval import bm25
from retrieval.models import Chunk, CorpusStatistic, Document, LexemeStatistic
from retrieval.search import fuse, fuse_relative
from retrieval.services import document_delete

pytestmark = pytest.mark.django_db

# Long enough for several chunks per document at a small chunk size.
PARAGRAPH = "Sentence {i} of the {topic} guide talks about {topic} and nothing else at all."
DOCS = {
    "cats.md": "# Cats\n\n"
    + "\n\n".join(PARAGRAPH.format(i=i, topic="cats") for i in range(40))
    + "\n\nCats purr when they are happy.",
    "dogs.md": "# Dogs\n\n" + "\n\n".join(PARAGRAPH.format(i=i, topic="dogs") for i in range(30)),
    "pets.md": "# Pets\n\nA happy household may keep cats, dogs, fish or birds as pets.",
}


@pytest.fixture
def small_chunks(settings):
    from retrieval.conf import config

    settings.RETRIEVAL = {**settings.RETRIEVAL, "chunk_tokens": 64}
    config.cache_clear()
    yield
    config.cache_clear()


def lexemes_by_chunk():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT chunk_id, document_id, lexeme, cardinality(positions) "
            "FROM retrieval_chunkterms, unnest(lexemes)"
        )
        rows = cursor.fetchall()
    chunks: dict[int, Counter] = defaultdict(Counter)
    documents: dict[int, Counter] = defaultdict(Counter)
    for chunk_id, document_id, lexeme, tf in rows:
        chunks[chunk_id][lexeme] += tf
        documents[document_id][lexeme] += tf
    return chunks, documents


def test_statistics_count_documents_and_their_lengths(ingested, alice, small_chunks):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)
    assert Chunk.objects.filter(document__original_filename="cats.md").count() > 1

    _, documents = lexemes_by_chunk()
    document_frequency = Counter(lexeme for tf in documents.values() for lexeme in tf)
    stored = dict(LexemeStatistic.objects.values_list("lexeme", "document_count"))
    assert stored == dict(document_frequency)
    assert CorpusStatistic.objects.get().document_count == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT document_id, array_agg(DISTINCT document_lexeme_count), sum(lexeme_count) "
            "FROM retrieval_chunkterms GROUP BY document_id"
        )
        for _, lengths, total in cursor.fetchall():
            assert lengths == [total]


def test_deleting_a_document_counts_it_out(ingested, alice, small_chunks):
    documents = [ingested(name, text.encode(), owner=alice) for name, text in DOCS.items()]

    document_delete(document=documents[0])

    _, remaining = lexemes_by_chunk()
    document_frequency = Counter(lexeme for tf in remaining.values() for lexeme in tf)
    stored = dict(LexemeStatistic.objects.values_list("lexeme", "document_count"))
    assert stored == dict(document_frequency)
    assert CorpusStatistic.objects.get().document_count == 2


def test_document_scores_equal_okapi_bm25_over_the_whole_document(ingested, alice, small_chunks):
    for name, text in DOCS.items():
        ingested(name, text.encode(), owner=alice)
    k1, b = bm25.DOCUMENT_K1, bm25.DOCUMENT_B
    _, documents = lexemes_by_chunk()
    n = len(documents)
    length = {d: sum(tf.values()) for d, tf in documents.items()}
    avgdl = sum(length.values()) / n
    df = Counter(lexeme for tf in documents.values() for lexeme in tf)

    def reference(terms, document_id):
        tf = documents[document_id]
        return sum(
            math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
            * tf[t] * (k1 + 1) / (tf[t] + k1 * (1 - b + b * length[document_id] / avgdl))
            for t in terms if t in tf
        )  # fmt: skip

    with connection.cursor() as cursor:
        ranking = bm25.bm25_rank(
            cursor, query="happy cats", principals=[f"u:{alice.pk}"], limit=10, k1=0.9, b=0.4
        )
        terms = bm25.query_lexemes(cursor, "happy cats")

    cats = Document.objects.get(original_filename="cats.md").pk
    assert Chunk.objects.filter(document_id=cats).count() > 1  # its counts add up over chunks
    assert set(ranking.documents) == {
        d for d, tf in documents.items() if any(t in tf for t in terms)
    }
    for document_id, score in ranking.documents.items():
        assert score == pytest.approx(reference(terms, document_id), rel=1e-9)
    assert {hit.document_id for hit in ranking.chunks} <= set(ranking.documents)


def test_fusion_adds_each_chunks_document_score():
    dense = {1: 0.9, 2: 0.5, 3: 0.1}
    lexical = {2: 4.0, 1: 2.0, 3: 1.0}
    documents = {20: 10.0, 10: 5.0}
    document_of = {1: 10, 2: 20, 3: 30}

    plain = dict(fuse_relative(dense, lexical, dense_weight=1.0))
    with_documents = dict(
        fuse_relative(
            dense,
            lexical,
            dense_weight=1.0,
            documents=documents,
            document_of=document_of,
            document_weight=0.5,
        )
    )

    # Document 20 is the best (+0.5), document 10 the worst scored (+0), 30 unscored (+0).
    assert with_documents == pytest.approx({1: plain[1], 2: plain[2] + 0.5, 3: plain[3]})
    ranked = fuse(
        dense, lexical, dense_weight=1.0, rrf_k=60, documents=documents, document_of=document_of,
        document_weight=1.0,
    )  # fmt: skip
    assert [chunk_id for chunk_id, _ in ranked] == [2, 1, 3]
