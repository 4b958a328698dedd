"""Search latency and filtered recall at a given corpus size, through the product's search path.

Embedding 100k chunks takes this machine's two cores most of an hour, so a corpus is padded to the
wanted size with synthetic documents instead: each synthetic chunk splices the sentences of two
stored chunks, and its vector is the normalised blend of their vectors plus a little noise. The
text keeps the corpus's vocabulary (so BM25 posting lists grow as they would) and the vectors stay
on the manifold the real ones live on (so the HNSW graph has the structure of real data, not the
harder one of random vectors).

Padding writes what the worker's services write (documents with their principals and group
rows, chunks, BM25 rows, term and corpus statistics; access counts through their trigger), but in
bulk: `COPY` for documents and chunks, a few hundred documents per transaction, the BM25 rows and
statistics by one statement per batch. A large pad drops the HNSW indexes first and builds them
once at the end with more maintenance memory, which is several times faster than growing the graph
one insert at a time. Documents are spread over reader classes: ten large groups (about 10% each),
one small group (about 1%) and one person (about 0.1%); the existing documents stay as they are.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from retrieval import bm25, partial_indexes
from retrieval.access import principals_for
from retrieval.embedding import count_tokens, embed_query
from retrieval.evaluation import percentile
from retrieval.models import Chunk, Document
from retrieval.search import (
    SearchOptions,
    _dense,
    _visible_chunks,
    explain_dense,
    search,
    search_with,
)

OWNER = "search-bench-owner"
PERSON = "search-bench-person"
TITLE_PREFIX = "Synthetic filler"
GROUP_PREFIX = "search-bench-"
SMALL_GROUP = "search-bench-small"
GROUPS = 10
CHUNKS_PER_DOCUMENT = 10
SOURCE_SAMPLE = 20_000
NOISE = 0.01
SEED = 20261125
# Documents per transaction while padding.
BATCH_DOCUMENTS = 500
# A pad that adds at least this many chunks, or more than the table holds, rebuilds the HNSW
# indexes after loading instead of inserting into them.
REBUILD_AT = 20_000
HNSW_INDEX = "chunk_embedding_hnsw"
BUILD_MEMORY = "6GB"
# Reader classes, in the order they are reported.
CLASSES = ("everything", "two_groups", "one_group", "small_group", "one_person")

Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_VECTOR_LITERAL = re.compile(r"'\[[-+0-9.e,]+\]'")


@dataclass(frozen=True)
class Readers:
    """Who queries: one reader per class (see CLASSES)."""

    everything: Any
    two_groups: Any
    one_group: Any
    small_group: Any
    one_person: Any

    def by_class(self) -> list[tuple[str, Any]]:
        """(class name, reader), in report order."""
        return [(name, getattr(self, name)) for name in CLASSES]


def bench_groups() -> list[Group]:
    """The large groups the synthetic documents are spread over."""
    return [Group.objects.get_or_create(name=f"{GROUP_PREFIX}{i}")[0] for i in range(GROUPS)]


def _small_group() -> Group:
    return Group.objects.get_or_create(name=SMALL_GROUP)[0]


def _person() -> Any:
    return get_user_model().objects.get_or_create(username=PERSON)[0]


def bench_readers(groups: list[Group]) -> Readers:
    """A reader in every group that holds documents, in two, in one large, in the small one, and
    the person documents are shared with directly."""
    users = get_user_model()
    everyone, _ = users.objects.get_or_create(username="search-bench-all")
    everyone.groups.set(Group.objects.filter(documents__isnull=False).distinct())
    one, _ = users.objects.get_or_create(username="search-bench-one")
    one.groups.set(groups[:1])
    two, _ = users.objects.get_or_create(username="search-bench-two")
    two.groups.set(groups[:2])
    small, _ = users.objects.get_or_create(username="search-bench-small")
    small.groups.set([_small_group()])
    return Readers(
        everything=everyone,
        two_groups=two,
        one_group=one,
        small_group=small,
        one_person=_person(),
    )


def _splice(a: str, b: str, rng: np.random.Generator) -> tuple[str, float]:
    """Leading sentences of `a` then trailing ones of `b`; the share of the text taken from `a`."""
    left, right = _SENTENCE.split(a), _SENTENCE.split(b)
    cut_a = int(rng.integers(1, len(left) + 1))
    cut_b = int(rng.integers(0, len(right)))
    head, tail = " ".join(left[:cut_a]), " ".join(right[cut_b:])
    text = f"{head} {tail}".strip()
    return text, len(head) / max(len(text), 1)


def _audience(number: int) -> str:
    """Who synthetic document `number` is shared with: a large group, the small group, the person.

    Out of every 1,000 documents, one goes to the person and ten to the small group; the large
    groups take the rest in turn (the first documents go to the large groups).
    """
    slot = number % 1000
    if slot == 999:
        return "person"
    if slot >= 989:
        return "small"
    return "large"


@dataclass(frozen=True)
class Pad:
    """What a pad did: chunks added, seconds loading them, seconds building the HNSW indexes."""

    added: int
    load_seconds: float
    index_seconds: float


# One synthetic document: its number, chunk texts, vector literals, token counts, and its group
# (None: shared with the bench person).
Spec = tuple[int, list[str], list[str], list[int], Group | None]


def pad_corpus(target_chunks: int, *, progress: Progress) -> Pad:
    """Add synthetic documents until the database holds `target_chunks`.

    The next batch is generated on a second thread while PostgreSQL stores the current one.
    """
    missing = target_chunks - Chunk.objects.count()
    if missing <= 0:
        _ensure_hnsw_index()
        return Pad(0, 0.0, 0.0)
    owner, _ = get_user_model().objects.get_or_create(username=OWNER, defaults={"is_active": False})
    groups, small, person = bench_groups(), _small_group(), _person()
    sources = list(
        Chunk.objects.exclude(document__title__startswith=TITLE_PREFIX)
        .order_by("id")
        .values_list("text", "embedding")[:SOURCE_SAMPLE]
    )
    if len(sources) < 2:
        raise ValueError("Padding needs at least two stored chunks to splice.")
    texts = [text for text, _ in sources]
    vectors = np.array([vector for _, vector in sources], dtype=np.float32)
    start = Document.objects.filter(title__startswith=TITLE_PREFIX).count()
    rng = np.random.default_rng(SEED + start)
    documents = -(-missing // CHUNKS_PER_DOCUMENT)
    sizes = [min(CHUNKS_PER_DOCUMENT, missing - i * CHUNKS_PER_DOCUMENT) for i in range(documents)]

    def generate(numbers: range) -> list[Spec]:
        specs: list[Spec] = []
        for number in numbers:
            size = sizes[number - start]
            pairs = rng.integers(0, len(sources), size=(size, 2))
            spliced = [_splice(texts[a], texts[b], rng) for a, b in pairs]
            share = np.array([[s] for _, s in spliced], dtype=np.float32)
            blend = share * vectors[pairs[:, 0]] + (1 - share) * vectors[pairs[:, 1]]
            blend += np.asarray(rng.normal(0.0, NOISE, size=blend.shape), dtype=np.float32)
            blend /= np.linalg.norm(blend, axis=1, keepdims=True)
            chunk_texts = [text for text, _ in spliced]
            literals = ["[" + ",".join(f"{x:.7g}" for x in row) + "]" for row in blend.tolist()]
            audience = _audience(number)
            group = {"large": groups[number % len(groups)], "small": small}.get(audience)
            specs.append((number, chunk_texts, literals, count_tokens(chunk_texts), group))
        return specs

    rebuild = missing >= REBUILD_AT or missing > Chunk.objects.count()
    rebuilt = _drop_hnsw_indexes() if rebuild else []
    numbers = range(start, start + documents)
    batches = [numbers[i : i + BATCH_DOCUMENTS] for i in range(0, documents, BATCH_DOCUMENTS)]
    began = time.perf_counter()
    load_seconds = 0.0
    try:
        with ThreadPoolExecutor(max_workers=1) as ahead:
            pending = ahead.submit(generate, batches[0])
            for index in progress(range(len(batches)), "pad", len(batches)):
                specs = pending.result()
                if index + 1 < len(batches):
                    pending = ahead.submit(generate, batches[index + 1])
                _store_batch(specs, owner=owner, person=person)
        load_seconds = time.perf_counter() - began
    finally:
        if rebuild:
            _build_hnsw_indexes(rebuilt, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE retrieval_chunk")
        cursor.execute("ANALYZE retrieval_chunkterms")
    index_seconds = time.perf_counter() - began - load_seconds
    return Pad(missing, load_seconds, index_seconds)


def _store_batch(specs: list[Spec], *, owner: Any, person: Any) -> None:
    """Documents, group/user rows, chunks, BM25 rows and statistics of one batch, in one transaction."""
    if not specs:
        return
    now = timezone.now().isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        bm25.lock_statistics(cursor)
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('retrieval_document', 'id')) "
            "FROM generate_series(1, %s)",
            [len(specs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor
        with raw.copy(
            "COPY retrieval_document (id, title, original_filename, file, content_type, size, "
            "sha256, org_wide, principals, status, stage, progress_done, progress_total, error, "
            "attempts, version, chunk_count, created_at, updated_at, started_at, finished_at, "
            "owner_id, run) FROM STDIN"
        ) as copy:
            for document_id, (number, chunk_texts, _, _, group) in zip(ids, specs, strict=True):
                title = f"{TITLE_PREFIX} {number}"
                reader = f"g:{group.pk}" if group is not None else f"u:{person.pk}"
                principals = "{" + ",".join(sorted({reader, f"u:{owner.pk}"})) + "}"
                n = len(chunk_texts)
                size = sum(len(t.encode()) for t in chunk_texts)
                copy.write_row(
                    (
                        document_id, title, f"filler-{number}.txt", "", "text/plain", size,
                        hashlib.sha256(title.encode()).hexdigest(), "f", principals, "ready",
                        "done", n, n, "", 1, 1, n, now, now, now, now, owner.pk, 1,
                    )
                )  # fmt: skip
        with raw.copy(
            "COPY retrieval_document_allowed_groups (document_id, group_id) FROM STDIN"
        ) as copy:
            for document_id, (*_, group) in zip(ids, specs, strict=True):
                if group is not None:
                    copy.write_row((document_id, group.pk))
        with raw.copy(
            "COPY retrieval_document_allowed_users (document_id, user_id) FROM STDIN"
        ) as copy:
            for document_id, (*_, group) in zip(ids, specs, strict=True):
                if group is None:
                    copy.write_row((document_id, person.pk))
        with raw.copy(
            "COPY retrieval_chunk (document_id, version, ordinal, text, heading_path, page, "
            "location, token_count, embedding, principals) FROM STDIN"
        ) as copy:
            for document_id, (_, chunk_texts, literals, tokens, group) in zip(
                ids, specs, strict=True
            ):
                reader = f"g:{group.pk}" if group is not None else f"u:{person.pk}"
                principals = "{" + ",".join(sorted({reader, f"u:{owner.pk}"})) + "}"
                rows = zip(chunk_texts, literals, tokens, strict=True)
                for ordinal, (text, literal, token_count) in enumerate(rows):
                    copy.write_row(
                        (
                            document_id, 1, ordinal, text, "", None, f"part {ordinal + 1}",
                            token_count, literal, principals,
                        )
                    )  # fmt: skip
        # The BM25 rows and statistics of the whole batch, as bm25.index_document writes them.
        cursor.execute(
            """
            INSERT INTO retrieval_chunkterms
                (chunk_id, document_id, lexemes, lexeme_count, document_lexeme_count, principals)
            SELECT w.id, w.document_id, w.tsv, w.n, sum(w.n) OVER (PARTITION BY w.document_id),
                   w.principals
            FROM (
                SELECT v.id, v.document_id, v.tsv, v.principals,
                       (SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(v.tsv) u) AS n
                FROM (
                    SELECT c.id, c.document_id, c.principals,
                           to_tsvector(%s::regconfig,
                                       d.title || E'\\n' || c.heading_path || E'\\n' || c.text) tsv
                    FROM retrieval_chunk c JOIN retrieval_document d ON d.id = c.document_id
                    WHERE c.document_id = ANY(%s)
                ) v
            ) w
            """,
            [bm25.TEXT_SEARCH_CONFIG, ids],
        )
        cursor.execute(
            """
            INSERT INTO retrieval_lexemestatistic (lexeme, chunk_count, document_count)
            SELECT u.lexeme, count(*), count(DISTINCT c.document_id)
            FROM retrieval_chunkterms c, unnest(c.lexemes) u
            WHERE c.document_id = ANY(%s)
            GROUP BY u.lexeme ORDER BY u.lexeme
            ON CONFLICT (lexeme) DO UPDATE
            SET chunk_count = retrieval_lexemestatistic.chunk_count + EXCLUDED.chunk_count,
                document_count = retrieval_lexemestatistic.document_count + EXCLUDED.document_count
            """,
            [ids],
        )
        cursor.execute(
            """
            INSERT INTO retrieval_corpusstatistic (id, chunk_count, document_count, lexeme_total)
            SELECT 1, count(*), count(DISTINCT document_id), coalesce(sum(lexeme_count), 0)
            FROM retrieval_chunkterms WHERE document_id = ANY(%s)
            ON CONFLICT (id) DO UPDATE
            SET chunk_count = retrieval_corpusstatistic.chunk_count + EXCLUDED.chunk_count,
                document_count = retrieval_corpusstatistic.document_count + EXCLUDED.document_count,
                lexeme_total = retrieval_corpusstatistic.lexeme_total + EXCLUDED.lexeme_total
            """,
            [ids],
        )


def _drop_hnsw_indexes() -> list[str]:
    """Drop the full and partial HNSW indexes before a large load; the principals they served."""
    with connection.cursor() as cursor:
        served = sorted(partial_indexes.indexed_principals(cursor))
        for principal in served:
            partial_indexes.index_drop(cursor, principal, concurrently=False)
        cursor.execute(f"DROP INDEX IF EXISTS {HNSW_INDEX}")
    return served


def _ensure_hnsw_index() -> None:
    """Build the full HNSW index if an interrupted pad left it dropped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'retrieval_chunk' AND indexname = %s",
            [HNSW_INDEX],
        )
        if cursor.fetchone() is None:
            _build_hnsw_indexes([], progress=lambda items, desc, total: items)


def _build_hnsw_indexes(principals: list[str], *, progress: Progress) -> None:
    """Build the full HNSW index (as Chunk.Meta declares it) and the partial ones, with memory."""
    steps = [None, *principals]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 1")
        for principal in progress(steps, "index", len(steps)):
            if principal is None:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {HNSW_INDEX} ON retrieval_chunk "
                    f"USING hnsw (embedding vector_cosine_ops) WITH ({partial_indexes.HNSW_WITH})"
                )
            else:
                partial_indexes.index_create(cursor, principal, concurrently=False)


def sync_partial_indexes(*, enabled: bool, progress: Progress) -> list[str]:
    """Build the partial indexes the corpus calls for (or drop them all); the indexed principals."""
    if enabled:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'")
            partial_indexes.partial_indexes_sync(concurrently=False)
    else:
        with connection.cursor() as cursor:
            for principal in partial_indexes.indexed_principals(cursor):
                partial_indexes.index_drop(cursor, principal, concurrently=False)
    with connection.cursor() as cursor:
        return sorted(partial_indexes.indexed_principals(cursor))


def _timed(call: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.50), "p95": percentile(values, 0.95)}


def measure(
    reader: Any, queries: list[str], *, k: int, warmup: int, progress: Progress, label: str
) -> dict[str, Any]:
    """Latency of `search(k)` for one reader, and of its parts, over `queries` (ms p50/p95).

    With a reranker configured, the first stage alone is timed too, and the share of candidates
    the reranker's window cut short is counted.
    """
    principals = principals_for(reader)
    configured = SearchOptions.configured()
    first_stage = SearchOptions.configured(reranker="off")
    dense_only = SearchOptions.configured(use_lexical=False, reranker="off")
    lexical_only = SearchOptions.configured(use_dense=False, reranker="off")
    reranking = configured.reranker != "off"
    for query in queries[:warmup]:
        search(user=reader, query=query, k=k)
    total: list[float] = []
    first: list[float] = []
    embed: list[float] = []
    dense: list[float] = []
    lexical: list[float] = []
    scored = truncated = 0
    # The whole search first, alone, as the assistant calls it; then its parts, in a second pass,
    # so the parts' own threads (a two-thread embedding on this thread) do not slow the searches.
    for query in progress(queries, label, len(queries)):
        began = time.perf_counter()
        ranking = search(user=reader, query=query, k=k)
        total.append((time.perf_counter() - began) * 1000)
        if ranking.report is not None:
            scored += ranking.report.candidates
            truncated += ranking.report.truncated
    for query in progress(queries, f"{label} parts", len(queries)):
        embed.append(_timed(embed_query, query))
        timed = [(dense, dense_only), (lexical, lexical_only)]
        if reranking:
            timed.append((first, first_stage))
        for times, options in timed:
            times.append(
                _timed(search_with, principals=principals, query=query, k=k, options=options)
            )
    visible = Chunk.objects.filter(principals__overlap=principals).count()
    figures: dict[str, Any] = {
        "visible_chunks": visible,
        "search_ms": _summary(total),
        "embed_ms": _summary(embed),
        "dense_ms": _summary(dense),
        "lexical_ms": _summary(lexical),
        "configured": {
            "candidates": configured.candidates,
            "ef_search": configured.ef_search,
            "exact_search_max_chunks": configured.exact_search_max_chunks,
            "fusion": configured.fusion,
            "reranker": configured.reranker,
            "rerank_candidates": configured.rerank_candidates,
        },
    }
    if reranking:
        figures["first_stage_ms"] = _summary(first)
        figures["rerank_added_ms"] = {
            key: round(figures["search_ms"][key] - figures["first_stage_ms"][key], 1)
            for key in ("p50", "p95")
        }
        figures["rerank_truncated_share"] = round(truncated / scored, 4) if scored else 0.0
    return figures


def dense_recall(reader: Any, vectors: list[np.ndarray], *, k: int = 10) -> dict[str, Any]:
    """Recall@k of the dense query as configured against an exact scan with the same filter, and
    the dense query's own time (SQL only, the vectors embedded beforehand: ms p50/p95).

    The exact scan compares every visible vector (no ANN index), so it is the true top k.
    """
    principals = principals_for(reader)
    configured = SearchOptions.configured()
    exact = SearchOptions.configured(exact=True)
    limit = configured.candidates
    recalls: list[float] = []
    times: list[float] = []
    with transaction.atomic(), connection.cursor() as cursor:
        visible, total = _visible_chunks(cursor, principals)
        for vector in vectors:
            truth = _dense(cursor, vector, principals, limit, exact, visible=visible, total=total)
            began = time.perf_counter()
            found = _dense(
                cursor, vector, principals, limit, configured, visible=visible, total=total
            )
            times.append((time.perf_counter() - began) * 1000)
            wanted = {row[0] for row in truth[:k]}
            if wanted:
                recalls.append(len(wanted & {row[0] for row in found[:k]}) / len(wanted))
    return {
        "recall": round(float(np.mean(recalls)), 4) if recalls else 1.0,
        "dense_sql_ms": _summary(times),
    }


def explain(reader: Any, query: str, *, analyze: bool = True) -> tuple[str, str]:
    """The dense method chosen for `reader` and PostgreSQL's plan for `query` (EXPLAIN ANALYZE)."""
    method, plan = explain_dense(
        principals=principals_for(reader),
        vector=embed_query(query),
        options=SearchOptions.configured(),
        analyze=analyze,
    )
    # The query vector's 384 numbers, written out wherever the plan names it, hide the plan.
    return method, _VECTOR_LITERAL.sub("'[query vector]'", plan)
