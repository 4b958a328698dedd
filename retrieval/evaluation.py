"""Retrieval evaluation on BEIR-format data, through the product's own ingestion and search.

Corpus records become documents through `document_create`; they are parsed, chunked and stored
by the same services the worker uses, only embedded in larger batches across documents for
speed. Queries go through the same `search` the assistant calls; chunks map back to their
documents by first appearance. Documents are readable by one evaluation group only, so other
documents in the database (if not org-wide) do not perturb the figures.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from retrieval import embedding, ingestion
from retrieval.access import principals_for
from retrieval.models import Document
from retrieval.search import SearchOptions, search_with
from retrieval.services import DuplicateDocument, document_create, document_set_access

OWNER = "retrieval-eval-owner"
READER = "retrieval-eval-reader"
GROUP = "retrieval-eval"
FILTER_GROUPS = 100
BATCH_DOCUMENTS = 256

Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]


@dataclass
class Dataset:
    """A BEIR-format data set."""

    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass
class IngestReport:
    """How the corpus went in."""

    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    reused: int = 0
    failed: list[str] = field(default_factory=list)


def load_queries(path: Path) -> dict[str, str]:
    """Query id → text from a BEIR queries.jsonl (_id, text)."""
    questions: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                questions[str(row["_id"])] = str(row["text"])
    return questions


def load_beir(corpus: Path, queries: Path, qrels: Path) -> Dataset:
    """Read corpus.jsonl (_id, title, text), queries.jsonl (_id, text), qrels TSV with header."""
    docs: dict[str, tuple[str, str]] = {}
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                docs[str(row["_id"])] = (str(row.get("title") or ""), str(row.get("text") or ""))
    questions = load_queries(queries)
    judged: dict[str, dict[str, int]] = {}
    with qrels.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            parts = line.strip().split("\t") if "\t" in line else line.split()
            if number == 0 and parts and parts[0] == "query-id":
                continue
            if len(parts) >= 3 and int(parts[2]) > 0:
                judged.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return Dataset(corpus=docs, queries=questions, qrels=judged)


def evaluation_people() -> tuple[Any, Any, Group]:
    """The owner of the evaluation documents, the reader who queries, and the reader's group."""
    users = get_user_model()
    owner, _ = users.objects.get_or_create(username=OWNER, defaults={"is_active": False})
    reader, _ = users.objects.get_or_create(username=READER)
    group, _ = Group.objects.get_or_create(name=GROUP)
    reader.groups.set([group])
    return owner, reader, group


def ingest_corpus(
    dataset: Dataset, *, owner: Any, group: Group, progress: Progress
) -> tuple[dict[int, str], IngestReport]:
    """Documents for every corpus record (reusing identical earlier ones); document id → _id."""
    report = IngestReport()
    mapping: dict[int, str] = {}
    pending: list[Document] = []
    # A worker loads the embedder and its tokenizer once, at its first document; loading them
    # (about 9 s, mostly importing transformers) is not ingestion throughput, so it happens here.
    embedding.embed_texts(["warm up"])
    embedding.count_tokens(["warm up"])
    started = time.perf_counter()
    for corpus_id, (title, text) in progress(dataset.corpus.items(), "store", len(dataset.corpus)):
        try:
            document = document_create(
                file=ContentFile(text.encode("utf-8"), name=f"{corpus_id}.txt"),
                title=title or corpus_id,
                owner=owner,
                groups=[group],
                enqueue=False,
            )
        except DuplicateDocument as duplicate:
            document = duplicate.existing
            if document.status == Document.Status.READY:
                report.reused += 1
                mapping.setdefault(document.pk, corpus_id)
                continue
        mapping.setdefault(document.pk, corpus_id)
        pending.append(document)
    for start in progress(
        range(0, len(pending), BATCH_DOCUMENTS), "ingest", math.ceil(len(pending) / BATCH_DOCUMENTS)
    ):
        _ingest_batch(pending[start : start + BATCH_DOCUMENTS], report)
    report.seconds = time.perf_counter() - started
    report.documents = len(mapping)
    return mapping, report


def _ingest_batch(documents: list[Document], report: IngestReport) -> None:
    """The worker's pipeline for many documents, with one embedding call for all their chunks."""
    prepared: list[tuple[Document, list[ingestion.ChunkDraft]]] = []
    for document in documents:
        claimed = ingestion.document_claim(document_id=document.pk)
        if claimed is None:
            continue
        try:
            prepared.append((claimed, ingestion.document_chunk(document=claimed, sandbox=True)))
        except (ingestion.IngestFailure, ingestion.ParseError) as error:
            ingestion.document_fail(document_id=claimed.pk, reason=str(error))
            report.failed.append(claimed.original_filename)
    texts = [ingestion.embedding_text(d.title, draft) for d, drafts in prepared for draft in drafts]
    began = time.perf_counter()
    vectors = embedding.embed_texts(texts)
    report.embed_seconds += time.perf_counter() - began
    offset = 0
    for document, drafts in prepared:
        part = vectors[offset : offset + len(drafts)]
        offset += len(drafts)
        ingestion.chunks_replace(
            document_id=document.pk,
            prepared=ingestion.PreparedDocument(drafts=drafts, vectors=part),
        )
        report.chunks += len(drafts)


def set_access(
    mapping: dict[int, str], *, owner: Any, groups: list[Group], progress: Progress
) -> None:
    """Spread the documents over `groups` (round robin by document id), if not already so."""
    ordered = sorted(mapping)
    wanted = {document_id: groups[i % len(groups)] for i, document_id in enumerate(ordered)}
    documents = Document.objects.filter(pk__in=ordered).only("id", "principals", "owner_id")
    for document in progress(documents, "access", len(ordered)):
        group = wanted[document.pk]
        if sorted(document.principals) != sorted([f"g:{group.pk}", f"u:{owner.pk}"]):
            document_set_access(document=document, org_wide=False, groups=[group])


def rank_documents(passages: Iterable[Any], mapping: dict[int, str]) -> list[str]:
    """Corpus ids in the order their first chunk appears."""
    ranked: list[str] = []
    seen: set[str] = set()
    for passage in passages:
        corpus_id = mapping.get(passage.document_id)
        if corpus_id is not None and corpus_id not in seen:
            seen.add(corpus_id)
            ranked.append(corpus_id)
    return ranked


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """Normalised discounted cumulative gain at k (graded relevance, as BEIR computes it)."""
    dcg = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(rel / math.log2(i + 2) for i, rel in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """Share of the relevant documents found in the first k."""
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within k."""
    for i, doc in enumerate(ranked[:k]):
        if doc in relevant:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def _judge(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float, float]:
    """nDCG@10, Recall@100 and MRR@10 of one query's ranked documents."""
    return (
        ndcg_at(ranked, relevant, 10),
        recall_at(ranked, relevant, 100),
        mrr_at(ranked, relevant, 10),
    )


def evaluate_quality(
    dataset: Dataset,
    mapping: dict[int, str],
    *,
    reader: Any,
    query_ids: list[str],
    progress: Progress,
    depth: int = 200,
    reranker: str = "off",
) -> dict[str, float]:
    """nDCG@10, Recall@100, MRR@10 over the judged queries, and the latency of a search of 8.

    The figures are the first stage's; unless `reranker` is off, the same figures with that
    second stage follow under `reranked_` names, measured in the same run.
    """
    principals = principals_for(reader)
    stages = {"": "off"} | ({"reranked_": reranker} if reranker != "off" else {})
    results: dict[str, float] = {}
    for prefix, setting in stages.items():
        options = SearchOptions.configured(reranker=setting)
        ndcg, recall, mrr, latency = [], [], [], []
        for query_id in progress(query_ids, f"{prefix}queries", len(query_ids)):
            query = dataset.queries[query_id]
            began = time.perf_counter()
            search_with(principals=principals, query=query, k=8, options=options)
            latency.append((time.perf_counter() - began) * 1000)
            # Deep enough for Recall@100 at document level: a document may have several chunks.
            ranked = rank_documents(
                search_with(principals=principals, query=query, k=depth, options=options), mapping
            )
            query_ndcg, query_recall, query_mrr = _judge(ranked, dataset.qrels[query_id])
            ndcg.append(query_ndcg)
            recall.append(query_recall)
            mrr.append(query_mrr)
        results |= {
            f"{prefix}ndcg@10": statistics.fmean(ndcg),
            f"{prefix}recall@100": statistics.fmean(recall),
            f"{prefix}mrr@10": statistics.fmean(mrr),
            f"{prefix}latency_ms_p50": percentile(latency, 0.50),
            f"{prefix}latency_ms_p95": percentile(latency, 0.95),
        }
    return results


def evaluate_single_methods(
    dataset: Dataset,
    mapping: dict[int, str],
    *,
    reader: Any,
    query_ids: list[str],
    progress: Progress,
    depth: int = 200,
) -> dict[str, float]:
    """nDCG@10 and Recall@100 of the dense ranking alone and of BM25 alone, for comparison."""
    principals = principals_for(reader)
    results: dict[str, float] = {}
    for name, options in (
        ("dense_only", SearchOptions.configured(use_lexical=False)),
        ("bm25_only", SearchOptions.configured(use_dense=False)),
    ):
        ndcg, recall = [], []
        for query_id in progress(query_ids, name, len(query_ids)):
            passages = search_with(
                principals=principals, query=dataset.queries[query_id], k=depth, options=options
            )
            ranked_ndcg, ranked_recall, _ = _judge(
                rank_documents(passages, mapping), dataset.qrels[query_id]
            )
            ndcg.append(ranked_ndcg)
            recall.append(ranked_recall)
        results[f"{name}_ndcg@10"] = statistics.fmean(ndcg)
        results[f"{name}_recall@100"] = statistics.fmean(recall)
    return results


def evaluate_filtered(
    dataset: Dataset, *, reader: Any, query_ids: list[str], progress: Progress, k: int = 10
) -> dict[str, float]:
    """Recall@k of filtered search against exact filtered search, for a reader of few chunks."""
    principals = principals_for(reader)
    configured = SearchOptions.configured()
    index_only = SearchOptions.configured(exact_search_max_chunks=0)
    exact = SearchOptions.configured(exact=True)
    product, hnsw, latency = [], [], []
    for query_id in progress(query_ids, "filtered", len(query_ids)):
        query = dataset.queries[query_id]
        truth = {
            p.chunk_id for p in search_with(principals=principals, query=query, k=k, options=exact)
        }
        if not truth:
            continue
        began = time.perf_counter()
        got = {
            p.chunk_id
            for p in search_with(principals=principals, query=query, k=k, options=configured)
        }
        latency.append((time.perf_counter() - began) * 1000)
        forced = {
            p.chunk_id
            for p in search_with(principals=principals, query=query, k=k, options=index_only)
        }
        product.append(len(got & truth) / len(truth))
        hnsw.append(len(forced & truth) / len(truth))
    return {
        "filtered_recall@10": statistics.fmean(product) if product else 0.0,
        "filtered_recall@10_index_only": statistics.fmean(hnsw) if hnsw else 0.0,
        "filtered_latency_ms_p95": percentile(latency, 0.95) if latency else 0.0,
    }  # fmt: skip


def embedder_throughput(texts: list[str]) -> float:
    """Raw embedder speed on these texts, in texts per second."""
    began = time.perf_counter()
    embedding.embed_texts(texts)
    return len(texts) / (time.perf_counter() - began)
