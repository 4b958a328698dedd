"""Configurable values of retrieval, from the Django setting RETRIEVAL (see the README for each variable)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings

from retrieval.reranker_folders import check_setting


@dataclass(frozen=True)
class RetrievalConfig:
    """Retrieval's settings; read once per process."""

    embedding_model: str
    embedding_batch_size: int
    embedding_dimensions: int
    chunk_tokens: int
    max_file_bytes: int
    max_uncompressed_bytes: int
    parse_timeout: int
    parse_memory_mb: int
    ingest_max_attempts: int
    reconcile_after: int
    candidates: int
    exact_search_max_chunks: int
    hnsw_ef_search: int
    bm25_k1: float
    bm25_b: float
    bm25_max_candidates: int
    query_torch_threads: int
    fusion: str
    dense_weight: float
    rrf_k: int
    # Weight of document-level BM25 in fusion (0 turns it off); see retrieval.bm25.
    document_weight: float = 1.0
    # The second stage (retrieval.rerank): `off`, `default` (the shipped model) or a model folder.
    reranker: str = "off"
    rerank_candidates: int = 30
    # What embeds a search query: `onnx` (retrieval.query_encoder, torch if it fails) or `torch`.
    query_runtime: str = "onnx"


@cache
def config() -> RetrievalConfig:
    """The retrieval settings of this process (Django setting RETRIEVAL, from RETRIEVAL_* variables)."""
    return RetrievalConfig(
        # The chunk table's vector column is vector(384); another size needs a migration.
        embedding_dimensions=384,
        **settings.RETRIEVAL,  # type: ignore[arg-type]  # checked by the settings' readers
    )


def use_reranker(value: str | None) -> str:
    """Make `value` (off, default or a model folder) this process's reranker; None keeps the setting.

    For the evaluation commands, which compare models in one process. Returns the checked value;
    RerankerError if it names no usable model.
    """
    if value is None:
        return config().reranker
    spec = check_setting(value)
    settings.RETRIEVAL = {**settings.RETRIEVAL, "reranker": spec}
    config.cache_clear()
    return spec
