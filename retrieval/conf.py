"""Configurable values of retrieval, read from the environment (see docs for each variable)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from assistant import env


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
    fusion: str
    dense_weight: float
    rrf_k: int


@cache
def config() -> RetrievalConfig:
    """The retrieval settings of this process (environment variables RETRIEVAL_*)."""
    return RetrievalConfig(
        # Empty means the packaged all-MiniLM-L6-v2; any sentence-transformers path or name works.
        embedding_model=env.env_str("RETRIEVAL_EMBEDDING_MODEL", ""),
        embedding_batch_size=env.env_int("RETRIEVAL_EMBEDDING_BATCH_SIZE", 32, minimum=1),
        # The chunk table's vector column is vector(384); another size needs a migration.
        embedding_dimensions=384,
        chunk_tokens=env.env_int("RETRIEVAL_CHUNK_TOKENS", 200, minimum=32),
        max_file_bytes=env.env_int("RETRIEVAL_MAX_FILE_BYTES", 50 * 1024 * 1024, minimum=1),
        max_uncompressed_bytes=env.env_int(
            "RETRIEVAL_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, minimum=1
        ),
        parse_timeout=env.env_int("RETRIEVAL_PARSE_TIMEOUT", 120, minimum=1),
        parse_memory_mb=env.env_int("RETRIEVAL_PARSE_MEMORY_MB", 1024, minimum=64),
        ingest_max_attempts=env.env_int("RETRIEVAL_INGEST_MAX_ATTEMPTS", 3, minimum=1),
        reconcile_after=env.env_int("RETRIEVAL_RECONCILE_AFTER", 1800, minimum=1),
        candidates=env.env_int("RETRIEVAL_CANDIDATES", 100, minimum=1),
        exact_search_max_chunks=env.env_int("RETRIEVAL_EXACT_SEARCH_MAX_CHUNKS", 5000, minimum=0),
        hnsw_ef_search=env.env_int("RETRIEVAL_HNSW_EF_SEARCH", 100, minimum=1),
        bm25_k1=env.env_float("RETRIEVAL_BM25_K1", 0.9),
        bm25_b=env.env_float("RETRIEVAL_BM25_B", 0.4),
        fusion=_choice("RETRIEVAL_FUSION", "relative", ("relative", "rrf")),
        dense_weight=env.env_float("RETRIEVAL_DENSE_WEIGHT", 1.0),
        rrf_k=env.env_int("RETRIEVAL_RRF_K", 60, minimum=1),
    )


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.env_str(name, default).strip().lower()
    if value not in choices:
        raise env.ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value
