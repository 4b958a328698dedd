"""Hybrid search: dense (pgvector HNSW, cosine) and BM25, fused by weighted relative scores (or RRF).

The principal filter sits inside the SQL of both queries and of the final fetch, so nothing the
asker may not read is ever ranked, let alone returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from retrieval import bm25
from retrieval.access import principals_for
from retrieval.conf import config
from retrieval.embedding import embed_query
from retrieval.models import Chunk


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, ready to cite."""

    chunk_id: int
    document_id: int
    title: str
    location: str
    text: str
    score: float
    dense_score: float | None
    lexical_score: float | None


@dataclass(frozen=True)
class SearchOptions:
    """Knobs of one search; the defaults come from the configuration."""

    candidates: int
    exact_search_max_chunks: int
    ef_search: int
    fusion: str
    dense_weight: float
    rrf_k: int
    k1: float
    b: float
    # Force the exact (index-free) dense scan, e.g. as the reference for recall measurements.
    exact: bool = False
    use_dense: bool = True
    use_lexical: bool = True

    @classmethod
    def configured(cls, **overrides: Any) -> SearchOptions:
        """Options from the configuration, with `overrides` applied."""
        conf = config()
        values: dict[str, Any] = {
            "candidates": conf.candidates,
            "exact_search_max_chunks": conf.exact_search_max_chunks,
            "ef_search": conf.hnsw_ef_search,
            "fusion": conf.fusion,
            "dense_weight": conf.dense_weight,
            "rrf_k": conf.rrf_k,
            "k1": conf.bm25_k1,
            "b": conf.bm25_b,
        }
        values.update(overrides)
        return cls(**values)


def search(*, user: Any, query: str, k: int = 8) -> list[Passage]:
    """The `k` passages most relevant to `query` among those `user` may read."""
    return search_with(
        principals=principals_for(user), query=query, k=k, options=SearchOptions.configured()
    )


def search_with(
    *, principals: list[str], query: str, k: int, options: SearchOptions
) -> list[Passage]:
    """`search` for a principal set with explicit options (evaluation and tuning use this)."""
    if not principals or not query.strip() or k <= 0:
        return []
    limit = max(options.candidates, k)
    vector = embed_query(query) if options.use_dense else None
    with transaction.atomic(), connection.cursor() as cursor:
        dense = _dense(cursor, vector, principals, limit, options) if vector is not None else {}
        lexical = (
            {
                hit.chunk_id: hit.score
                for hit in bm25.bm25_search(
                    cursor,
                    query=query,
                    principals=principals,
                    limit=limit,
                    k1=options.k1,
                    b=options.b,
                )
            }
            if options.use_lexical
            else {}
        )
    if options.fusion == "relative":
        fused = fuse_relative(dense, lexical, dense_weight=options.dense_weight)[:k]
    else:
        fused = fuse(dense, lexical, dense_weight=options.dense_weight, rrf_k=options.rrf_k)[:k]
    return _passages(fused, dense, lexical, principals)


def fuse(
    dense: dict[int, float], lexical: dict[int, float], *, dense_weight: float, rrf_k: int
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of two rankings (dicts in rank order), best first."""
    scores: dict[int, float] = {}
    for rank, chunk_id in enumerate(dense, start=1):
        scores[chunk_id] = scores.get(chunk_id, 0.0) + dense_weight / (rrf_k + rank)
    for rank, chunk_id in enumerate(lexical, start=1):
        scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse_relative(
    dense: dict[int, float], lexical: dict[int, float], *, dense_weight: float
) -> list[tuple[int, float]]:
    """Weighted sum of min-max normalised scores; a strong hit in one list keeps its strength."""
    scores: dict[int, float] = {}
    for ranking, weight in ((dense, dense_weight), (lexical, 1.0)):
        if not ranking:
            continue
        low, high = min(ranking.values()), max(ranking.values())
        spread = (high - low) or 1.0
        for chunk_id, score in ranking.items():
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * (score - low) / spread
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _dense(
    cursor: CursorWrapper,
    vector: np.ndarray,
    principals: list[str],
    limit: int,
    options: SearchOptions,
) -> dict[int, float]:
    """Chunk id → cosine similarity, best first, among chunks the principals may read."""
    literal = _vector_literal(vector)
    if options.exact or _visible_chunks_at_most(
        cursor, principals, options.exact_search_max_chunks
    ):
        # Few visible chunks: scanning them exactly is fast and never misses one.
        cursor.execute(
            """
            WITH visible AS MATERIALIZED (
                SELECT id, embedding FROM retrieval_chunk WHERE principals && %s::text[]
            )
            SELECT id, embedding <=> %s::vector AS distance
            FROM visible ORDER BY distance, id LIMIT %s
            """,
            [principals, literal, limit],
        )
    else:
        # Iterative scans keep walking the graph until enough rows pass the principal filter.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(options.ef_search)}")
        cursor.execute(
            """
            WITH nearest AS MATERIALIZED (
                SELECT id, embedding <=> %s::vector AS distance
                FROM retrieval_chunk
                WHERE principals && %s::text[]
                ORDER BY embedding <=> %s::vector
                LIMIT %s
            )
            SELECT id, distance FROM nearest ORDER BY distance, id
            """,
            [literal, principals, literal, limit],
        )
    return {row[0]: 1.0 - float(row[1]) for row in cursor.fetchall()}


def _visible_chunks_at_most(cursor: CursorWrapper, principals: list[str], bound: int) -> bool:
    """Whether the principals may read at most `bound` chunks (counted per document: cheap)."""
    if bound <= 0:
        return False
    cursor.execute(
        "SELECT coalesce(sum(chunk_count), 0) FROM retrieval_document "
        "WHERE principals && %s::text[]",
        [principals],
    )
    return int(cursor.fetchone()[0]) <= bound


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


def _passages(
    fused: list[tuple[int, float]],
    dense: dict[int, float],
    lexical: dict[int, float],
    principals: list[str],
) -> list[Passage]:
    ids = [chunk_id for chunk_id, _ in fused]
    # Filtered again: a chunk whose access changed since ranking is not returned.
    rows = {
        chunk.pk: chunk
        for chunk in Chunk.objects.filter(pk__in=ids, principals__overlap=principals)
        .select_related("document")
        .only("id", "text", "location", "document__id", "document__title")
    }
    return [
        Passage(
            chunk_id=chunk_id,
            document_id=rows[chunk_id].document.pk,
            title=rows[chunk_id].document.title,
            location=rows[chunk_id].location,
            text=rows[chunk_id].text,
            score=score,
            dense_score=dense.get(chunk_id),
            lexical_score=lexical.get(chunk_id),
        )
        for chunk_id, score in fused
        if chunk_id in rows
    ]
