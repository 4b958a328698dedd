"""Hybrid search: dense (pgvector HNSW, cosine) and BM25, fused by weighted relative scores (or RRF).

Three rankings are fused: chunks by embedding, chunks by BM25, and documents by BM25 over their
whole text (each chunk gets its document's share). The principal filter sits inside the SQL of
every query and of the final fetch, so nothing the asker may not read is ever ranked, let alone
returned.

The dense query takes one of three plans, by the share of the corpus the asker may read (counted
from the per-access-set counts; `dense_statement`): a reader of half the corpus or more searches
the full HNSW index with an iterative scan, since the filter rejects few rows; a reader of less
whose large principals (groups of 5,000 chunks or more) have partial HNSW indexes searches each of
those, where no row is rejected, plus the rest of their principals exactly, and the branches are
merged; a reader of at most `exact_search_max_chunks` otherwise gets an exact scan. Iterative scans
alone were measured against partial indexes at 300k chunks: for a one-group reader (9.5% of the
corpus) 44.5 vs 9.5 ms p50 and recall@10 0.954 vs 0.993 (docs/BENCHMARKS.md, Retrieval, "Filtered
search at scale"). Every branch keeps the asker's filter `principals && %s` in its WHERE.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper

from retrieval import bm25, partial_indexes, rerank
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
    # The second stage's score (None when no reranker ran) and the first stage's rank (1 = best).
    rerank_score: float | None = None
    first_stage_rank: int | None = None


@dataclass(frozen=True)
class SearchOptions:
    """Knobs of one search; the defaults come from the configuration."""

    candidates: int
    exact_search_max_chunks: int
    ef_search: int
    fusion: str
    dense_weight: float
    rrf_k: int
    document_weight: float
    k1: float
    b: float
    bm25_max_candidates: int
    # Force the exact (index-free) dense scan, e.g. as the reference for recall measurements.
    exact: bool = False
    use_dense: bool = True
    use_lexical: bool = True
    # The second stage: `off`, `default` or a model folder (retrieval.rerank), and how many of the
    # first stage's best passages it re-scores.
    reranker: str = "off"
    rerank_candidates: int = 30

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
            "document_weight": conf.document_weight,
            "k1": conf.bm25_k1,
            "b": conf.bm25_b,
            "bm25_max_candidates": conf.bm25_max_candidates,
            "reranker": conf.reranker,
            "rerank_candidates": conf.rerank_candidates,
        }
        values.update(overrides)
        return cls(**values)


class Ranking(list[Passage]):
    """Passages, best first, with what the second stage did (`report`: None when it did not run)."""

    def __init__(self, passages: list[Passage], report: rerank.RerankReport | None = None) -> None:
        super().__init__(passages)
        self.report = report


def search(*, user: Any, query: str, k: int = 8) -> Ranking:
    """The `k` passages most relevant to `query` among those `user` may read."""
    return search_with(
        principals=principals_for(user), query=query, k=k, options=SearchOptions.configured()
    )


def search_with(*, principals: list[str], query: str, k: int, options: SearchOptions) -> Ranking:
    """`search` for a principal set with explicit options (evaluation and tuning use this).

    The first stage ranks; with a reranker, its best `rerank_candidates` passages that the
    principals may read are fetched (filtered in SQL again), and only those are re-scored.
    """
    if not principals or not query.strip() or k <= 0:
        return Ranking([])
    reranker = rerank.load(options.reranker)
    first_k = max(k, options.rerank_candidates) if reranker is not None else k
    limit = max(options.candidates, first_k)
    # The query is embedded on another thread while PostgreSQL counts and runs BM25. Outside a
    # transaction that thread then runs the dense query on a connection of its own, so BM25 and
    # the dense query take the two cores at once; inside one (a caller's atomic block, a test), a
    # second connection would not see the caller's rows, and the dense query follows BM25 here.
    apart = options.use_dense and options.use_lexical and not connection.in_atomic_block
    dense_rows: Future[list[tuple[int, int, float]]] | None = None
    embedding: Future[np.ndarray] | None = None
    if apart:
        dense_rows = _embedder().submit(_dense_apart, query, principals, limit, options)
    elif options.use_dense:
        embedding = _embedder().submit(embed_query, query)
    with transaction.atomic(), connection.cursor() as cursor:
        visible, total = _visible_chunks(cursor, principals)
        ranking = (
            bm25.bm25_rank(
                cursor,
                query=query,
                principals=principals,
                limit=limit,
                k1=options.k1,
                b=options.b,
                budget=options.bm25_max_candidates,
                visible_share=visible / total if total else 1.0,
            )
            if options.use_lexical
            else bm25.LexicalRanking([], {})
        )
        rows = (
            _dense(
                cursor, embedding.result(), principals, limit, options, visible=visible, total=total
            )
            if embedding is not None
            else []
        )
    if dense_rows is not None:
        rows = dense_rows.result()
    lexical = {hit.chunk_id: hit.score for hit in ranking.chunks}
    document_of = {hit.chunk_id: hit.document_id for hit in ranking.chunks}
    dense: dict[int, float] = {}
    for chunk_id, document_id, similarity in rows:
        dense[chunk_id] = similarity
        document_of[chunk_id] = document_id
    documents = ranking.documents if options.document_weight > 0 else {}
    if options.fusion == "relative":
        fused = fuse_relative(
            dense,
            lexical,
            dense_weight=options.dense_weight,
            documents=documents,
            document_of=document_of,
            document_weight=options.document_weight,
        )[:first_k]
    else:
        fused = fuse(
            dense,
            lexical,
            dense_weight=options.dense_weight,
            rrf_k=options.rrf_k,
            documents=documents,
            document_of=document_of,
            document_weight=options.document_weight,
        )[:first_k]
    passages = _passages(fused, dense, lexical, principals)
    # Only the best `rerank_candidates` are re-scored; any deeper ones follow in first-stage order.
    head, tail = passages[: options.rerank_candidates], passages[options.rerank_candidates :]
    ranked, report = rerank.rerank(query, head, reranker=reranker)
    return Ranking((ranked + tail)[:k], report)


_executor: tuple[int, ThreadPoolExecutor] | None = None


def _embedder() -> ThreadPoolExecutor:
    """This process's query-embedding thread (a forked worker starts its own).

    One thread: a fast tokenizer must not be used by two threads at once, and queries embedded one
    after the other take no longer than side by side on two cores.
    """
    global _executor
    if _executor is None or _executor[0] != os.getpid():
        _executor = (
            os.getpid(),
            ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="embed", initializer=_limit_torch_threads
            ),
        )
    return _executor[1]


def _dense_apart(
    query: str, principals: list[str], limit: int, options: SearchOptions
) -> list[tuple[int, int, float]]:
    """The query embedded, then the dense query on the embedding thread's own connection.

    That connection stays open between searches, one per process: opening one per search cost
    about what running beside BM25 saves. A connection found broken is closed and opened again
    once.
    """
    vector = embed_query(query)
    for attempt in (1, 2):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                visible, total = _visible_chunks(cursor, principals)
                return _dense(
                    cursor, vector, principals, limit, options, visible=visible, total=total
                )
        except (OperationalError, InterfaceError):
            connection.close()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def search_connection_close() -> None:
    """Close the embedding thread's database connection, if this process opened one (before its
    database is dropped, as the test suite does)."""
    if _executor is not None and _executor[0] == os.getpid():
        # `connection` resolves on the thread that reads it: the lambda reads it on that thread.
        _executor[1].submit(lambda: connection.close()).result()


def _limit_torch_threads() -> None:
    # Process-wide: with two intra-op threads, torch and PostgreSQL fought over two cores and a
    # search took longer than with one (docs/BENCHMARKS.md, Retrieval, speed).
    threads = config().query_torch_threads
    if threads > 0:
        import torch

        torch.set_num_threads(threads)


def fuse(
    dense: dict[int, float],
    lexical: dict[int, float],
    *,
    dense_weight: float,
    rrf_k: int,
    documents: dict[int, float] | None = None,
    document_of: dict[int, int] | None = None,
    document_weight: float = 0.0,
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of two chunk rankings (dicts in rank order), best first.

    With `documents` (document id -> score, best first) and `document_of` (chunk id -> document
    id), each chunk also gets `document_weight` / (rrf_k + its document's rank).
    """
    scores: dict[int, float] = {}
    for rank, chunk_id in enumerate(dense, start=1):
        scores[chunk_id] = scores.get(chunk_id, 0.0) + dense_weight / (rrf_k + rank)
    for rank, chunk_id in enumerate(lexical, start=1):
        scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (rrf_k + rank)
    if documents and document_of and document_weight:
        document_rank = {document_id: rank for rank, document_id in enumerate(documents, start=1)}
        for chunk_id in scores:
            document_rank_of_chunk = document_rank.get(document_of.get(chunk_id, -1))
            if document_rank_of_chunk is not None:
                scores[chunk_id] += document_weight / (rrf_k + document_rank_of_chunk)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse_relative(
    dense: dict[int, float],
    lexical: dict[int, float],
    *,
    dense_weight: float,
    documents: dict[int, float] | None = None,
    document_of: dict[int, int] | None = None,
    document_weight: float = 0.0,
) -> list[tuple[int, float]]:
    """Weighted sum of min-max normalised scores; a strong hit in one list keeps its strength.

    With `documents` (document id -> score) and `document_of` (chunk id -> document id), each
    chunk also gets `document_weight` times its document's normalised score (0 when unscored).
    """
    scores: dict[int, float] = {}
    for ranking, weight in ((dense, dense_weight), (lexical, 1.0)):
        for chunk_id, score in _normalised(ranking).items():
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight * score
    if documents and document_of and document_weight:
        by_document = _normalised(documents)
        for chunk_id in scores:
            scores[chunk_id] += document_weight * by_document.get(
                document_of.get(chunk_id, -1), 0.0
            )
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _normalised(ranking: dict[int, float]) -> dict[int, float]:
    """Scores min-max scaled to 0..1 (all 0 when they are equal)."""
    if not ranking:
        return {}
    low, high = min(ranking.values()), max(ranking.values())
    spread = (high - low) or 1.0
    return {key: (score - low) / spread for key, score in ranking.items()}


@dataclass(frozen=True)
class DenseStatement:
    """The SQL of one dense query and the plan it is written for.

    `method` is `exact` (every visible vector compared), `hnsw` (the full index, iterative scan)
    or `partial` (a branch per large principal through its own partial index, plus one for the
    reader's other principals; retrieval.partial_indexes).
    """

    method: str
    settings: list[str]
    sql: str
    params: list[Any]


# Above this visible share the full index's filter lets most rows through; below it, a reader
# whose large principals have partial indexes searches those instead.
FULL_INDEX_SHARE = 0.5


# A graph's recall at a given ef_search falls as it grows: at 1M chunks ef_search 200 found 0.938 of
# the exact top 10 and 800 found 0.994, where 200 found 0.995 at 100k (docs/BENCHMARKS.md, filtered
# search at scale). The configured breadth holds per this many chunks of the index searched.
EF_SEARCH_CHUNKS = 250_000
# pgvector's largest hnsw.ef_search.
EF_SEARCH_MAX = 1000


def ef_search_for(configured: int, rows: int) -> int:
    """hnsw.ef_search for an index of about `rows` chunks: `configured` per EF_SEARCH_CHUNKS of
    them, never less than `configured` nor more than pgvector allows."""
    scaled = math.ceil(configured * rows / EF_SEARCH_CHUNKS)
    return min(EF_SEARCH_MAX, max(configured, scaled))


def dense_statement(
    cursor: CursorWrapper,
    vector: np.ndarray,
    principals: list[str],
    limit: int,
    options: SearchOptions,
    *,
    visible: int,
    total: int,
) -> DenseStatement:
    """How the nearest visible chunks are found for this reader (docs/BENCHMARKS.md, at scale).

    - under half the corpus visible and some of the reader's principals have a partial index:
      each of those is searched through its own index (no row is rejected there), the reader's
      other principals exactly when they hold few chunks or else through the full index, and
      the branches are merged;
    - otherwise, at most `exact_search_max_chunks` visible: an exact scan of the visible vectors;
    - otherwise the full HNSW index with an iterative scan (at a large visible share the filter
      rejects few rows).
    Every branch keeps the reader's own filter `principals && %s` in its WHERE.
    """
    literal = _vector_literal(vector)

    def iterative(rows: int) -> list[str]:
        return [
            "SET LOCAL hnsw.iterative_scan = relaxed_order",
            f"SET LOCAL hnsw.ef_search = {ef_search_for(options.ef_search, rows)}",
        ]

    exact = DenseStatement(
        "exact",
        [],
        """
        WITH visible AS MATERIALIZED (
            SELECT id, document_id, embedding FROM retrieval_chunk
            WHERE principals && %s::text[]
        )
        SELECT id, document_id, embedding <=> %s::vector AS distance
        FROM visible ORDER BY distance, id LIMIT %s
        """,
        [principals, literal, limit],
    )
    if options.exact:
        return exact
    indexed = (
        sorted(partial_indexes.indexed_principals(cursor) & set(principals))
        if visible < total * FULL_INDEX_SHARE
        else []
    )
    if not indexed and visible <= options.exact_search_max_chunks:
        # Few visible chunks: scanning them exactly is fast and never misses one.
        return exact
    if not indexed:
        # Iterative scans keep walking the graph until enough rows pass the principal filter.
        return DenseStatement(
            "hnsw",
            iterative(total),
            """
            WITH nearest AS MATERIALIZED (
                SELECT id, document_id, embedding <=> %s::vector AS distance
                FROM retrieval_chunk
                WHERE principals && %s::text[]
                ORDER BY embedding <=> %s::vector
                LIMIT %s
            )
            SELECT id, document_id, distance FROM nearest ORDER BY distance, id
            """,
            [literal, principals, literal, limit],
        )
    branches: list[str] = []
    params: list[Any] = []
    for principal in indexed:
        # The index predicate repeated word for word: the planner then proves the branch's WHERE
        # implies it and may use the partial index.
        branches.append(
            f"""
            (SELECT id, document_id, embedding <=> %s::vector AS distance
             FROM retrieval_chunk
             WHERE principals && %s::text[] AND {partial_indexes.predicate(principal)}
             ORDER BY embedding <=> %s::vector LIMIT %s)
            """  # noqa: S608 (the predicate is checked principal syntax)
        )
        params += [literal, principals, literal, limit]
    rest = [p for p in principals if p not in indexed]
    rest_chunks = _visible_chunks(cursor, rest)[0] if rest else 0
    if rest_chunks and rest_chunks <= options.exact_search_max_chunks:
        # OFFSET 0 keeps the subquery whole, so the sort is over the filtered rows, not an index.
        branches.append(
            """
            (SELECT id, document_id, embedding <=> %s::vector AS distance
             FROM (SELECT id, document_id, embedding FROM retrieval_chunk
                   WHERE principals && %s::text[] AND principals && %s::text[] OFFSET 0) v
             ORDER BY distance LIMIT %s)
            """
        )
        params += [literal, principals, rest, limit]
    elif rest_chunks:
        branches.append(
            """
            (SELECT id, document_id, embedding <=> %s::vector AS distance
             FROM retrieval_chunk
             WHERE principals && %s::text[] AND principals && %s::text[]
             ORDER BY embedding <=> %s::vector LIMIT %s)
            """
        )
        params += [literal, principals, rest, literal, limit]
    # A chunk readable through two principals comes from two branches; it counts once.
    # The branches above are fixed SQL and checked principals.
    sql = (
        "SELECT id, document_id, min(distance) AS distance FROM ("  # noqa: S608
        + " UNION ALL ".join(branches)
        + ") branches GROUP BY id, document_id ORDER BY distance, id LIMIT %s"
    )
    # The planner multiplies the reader's filter and a branch's index predicate as if independent
    # (one group of 8.6% at 100k chunks: 798 rows expected, 8,616 found), so a branch would read
    # every row of its principal and sort them (36 ms) instead of walking its partial index
    # (docs/BENCHMARKS.md, filtered search at scale). Sorts disabled, each branch that can be read
    # in distance order is; the rest branch and the merge still sort, as every plan of theirs must.
    return DenseStatement(
        "partial", [*iterative(visible), "SET LOCAL enable_sort = off"], sql, [*params, limit]
    )


def _dense(
    cursor: CursorWrapper,
    vector: np.ndarray,
    principals: list[str],
    limit: int,
    options: SearchOptions,
    *,
    visible: int,
    total: int,
) -> list[tuple[int, int, float]]:
    """(chunk id, document id, cosine similarity), best first, among chunks the principals may read."""
    statement = dense_statement(
        cursor, vector, principals, limit, options, visible=visible, total=total
    )
    for setting in statement.settings:
        cursor.execute(setting)
    cursor.execute(statement.sql, statement.params)
    return [(row[0], row[1], 1.0 - float(row[2])) for row in cursor.fetchall()]


def explain_dense(
    *, principals: list[str], vector: np.ndarray, options: SearchOptions, analyze: bool = False
) -> tuple[str, str]:
    """The method chosen for this reader and PostgreSQL's plan of its dense query (EXPLAIN)."""
    limit = options.candidates
    with transaction.atomic(), connection.cursor() as cursor:
        visible, total = _visible_chunks(cursor, principals)
        statement = dense_statement(
            cursor, vector, principals, limit, options, visible=visible, total=total
        )
        for setting in statement.settings:
            cursor.execute(setting)
        verb = "EXPLAIN (ANALYZE, BUFFERS)" if analyze else "EXPLAIN"
        cursor.execute(f"{verb} {statement.sql}", statement.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return statement.method, plan


def _visible_chunks(cursor: CursorWrapper, principals: list[str]) -> tuple[int, int]:
    """Chunks the principals may read, and chunks in all (from the per-access-set counts)."""
    cursor.execute(
        "SELECT coalesce(sum(chunk_count) FILTER (WHERE principals && %s::text[]), 0), "
        "coalesce(sum(chunk_count), 0) FROM retrieval_accesscount",
        [principals],
    )
    visible, total = cursor.fetchone()
    return int(visible), int(total)


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
            first_stage_rank=rank,
        )
        for rank, (chunk_id, score) in enumerate(fused, start=1)
        if chunk_id in rows
    ]
