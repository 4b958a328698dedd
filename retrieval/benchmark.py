"""Search latency at a given corpus size, through the product's own storage and search path.

Embedding 100k chunks takes this machine's two cores most of an hour, so a corpus is padded to the
wanted size with synthetic documents instead: each synthetic chunk splices the sentences of two
stored chunks, and its vector is the normalised blend of their vectors plus a little noise. The
text keeps the corpus's vocabulary (so BM25 posting lists grow as they would) and the vectors stay
on the manifold the real ones live on (so the HNSW graph has the structure of real data, not the
harder one of random vectors). The synthetic documents are stored through `document_create`,
`document_claim` and `chunks_replace`, the worker's own services (BM25 statistics, principals and
the HNSW index are maintained as for any upload), and spread round robin over a few groups so that
readers with different visible shares can be measured.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from retrieval import ingestion
from retrieval.access import principals_for
from retrieval.chunking import ChunkDraft
from retrieval.embedding import count_tokens, embed_query
from retrieval.evaluation import percentile
from retrieval.models import Chunk, Document
from retrieval.search import SearchOptions, search, search_with
from retrieval.services import DuplicateDocument, document_create

OWNER = "search-bench-owner"
TITLE_PREFIX = "Synthetic filler"
GROUP_PREFIX = "search-bench-"
GROUPS = 10
CHUNKS_PER_DOCUMENT = 10
SOURCE_SAMPLE = 20_000
NOISE = 0.01
SEED = 20261125

Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Readers:
    """Who queries: someone who reads every chunk, and someone in one or two filler groups."""

    everything: Any
    one_group: Any
    two_groups: Any


def bench_groups() -> list[Group]:
    """The groups the synthetic documents are spread over."""
    return [Group.objects.get_or_create(name=f"{GROUP_PREFIX}{i}")[0] for i in range(GROUPS)]


def bench_readers(groups: list[Group]) -> Readers:
    """A reader in every group that holds documents, and one in the first filler group only."""
    users = get_user_model()
    everyone, _ = users.objects.get_or_create(username="search-bench-all")
    everyone.groups.set(Group.objects.filter(documents__isnull=False).distinct())
    one, _ = users.objects.get_or_create(username="search-bench-one")
    one.groups.set(groups[:1])
    two, _ = users.objects.get_or_create(username="search-bench-two")
    two.groups.set(groups[:2])
    return Readers(everything=everyone, one_group=one, two_groups=two)


def _splice(a: str, b: str, rng: np.random.Generator) -> tuple[str, float]:
    """Leading sentences of `a` then trailing ones of `b`; the share of the text taken from `a`."""
    left, right = _SENTENCE.split(a), _SENTENCE.split(b)
    cut_a = int(rng.integers(1, len(left) + 1))
    cut_b = int(rng.integers(0, len(right)))
    head, tail = " ".join(left[:cut_a]), " ".join(right[cut_b:])
    text = f"{head} {tail}".strip()
    return text, len(head) / max(len(text), 1)


def pad_corpus(target_chunks: int, *, progress: Progress) -> int:
    """Add synthetic documents until the database holds `target_chunks`; the number added."""
    missing = target_chunks - Chunk.objects.count()
    if missing <= 0:
        return 0
    owner, _ = get_user_model().objects.get_or_create(username=OWNER, defaults={"is_active": False})
    groups = bench_groups()
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
    added = 0
    for number in progress(range(start, start + documents), "pad", documents):
        size = min(CHUNKS_PER_DOCUMENT, missing - added)
        pairs = rng.integers(0, len(sources), size=(size, 2))
        spliced = [_splice(texts[a], texts[b], rng) for a, b in pairs]
        chunk_texts = [text for text, _ in spliced]
        share = np.array([[s] for _, s in spliced], dtype=np.float32)
        blend = share * vectors[pairs[:, 0]] + (1 - share) * vectors[pairs[:, 1]]
        blend += np.asarray(rng.normal(0.0, NOISE, size=blend.shape), dtype=np.float32)
        blend /= np.linalg.norm(blend, axis=1, keepdims=True)
        try:
            document = document_create(
                file=ContentFile("\n\n".join(chunk_texts).encode(), name=f"filler-{number}.txt"),
                title=f"{TITLE_PREFIX} {number}",
                owner=owner,
                groups=[groups[number % len(groups)]],
                enqueue=False,
            )
        except DuplicateDocument:
            continue
        claimed = ingestion.document_claim(document_id=document.pk)
        if claimed is None:
            continue
        drafts = [
            ChunkDraft(
                ordinal=i,
                text=text,
                heading_path="",
                page=None,
                location=f"part {i + 1}",
                token_count=tokens,
            )
            for i, (text, tokens) in enumerate(
                zip(chunk_texts, count_tokens(chunk_texts), strict=True)
            )
        ]
        ingestion.chunks_replace(
            document_id=claimed.pk,
            prepared=ingestion.PreparedDocument(drafts=drafts, vectors=blend),
        )
        added += size
    return added


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
