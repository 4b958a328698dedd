"""BM25 in PostgreSQL: term statistics kept at ingestion, Okapi scoring over tsvector term counts.

Each chunk stores its English lexemes with positions (``tsvector``); a lexeme's term frequency is
the number of its positions, the chunk's length the sum of those. Document frequencies live in
`LexemeStatistic` and the corpus size and total length in `CorpusStatistic`, both updated in the
transaction that replaces a document's chunks. IDF is computed over all chunks, as search engines
with document-level security (e.g. Elasticsearch) do, not over the asker's visible set.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.utils import CursorWrapper

TEXT_SEARCH_CONFIG = "english"
# Serialises statistic updates of concurrent ingestions so they never deadlock on shared lexemes.
STATISTICS_LOCK = 0x5245_5452  # "RETR"


@dataclass(frozen=True)
class LexicalHit:
    """A chunk and its BM25 score."""

    chunk_id: int
    score: float


def lock_statistics(cursor: CursorWrapper) -> None:
    """Take the statistics lock until the end of the current transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STATISTICS_LOCK])


def index_document(cursor: CursorWrapper, *, document_id: int, title: str) -> None:
    """Fill the lexemes of a document's chunks (title + headings + text) and count them in."""
    cursor.execute(
        """
        UPDATE retrieval_chunk c
        SET lexemes = v.tsv,
            lexeme_count = (SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(v.tsv) u)
        FROM (
            SELECT id, to_tsvector(%s::regconfig, %s || E'\\n' || heading_path || E'\\n' || text) tsv
            FROM retrieval_chunk WHERE document_id = %s
        ) v
        WHERE c.id = v.id
        """,
        [TEXT_SEARCH_CONFIG, title, document_id],
    )
    _count(cursor, document_id=document_id, sign=1)


def unindex_document(cursor: CursorWrapper, *, document_id: int) -> None:
    """Count a document's chunks out of the statistics (before they are deleted)."""
    _count(cursor, document_id=document_id, sign=-1)


def _count(cursor: CursorWrapper, *, document_id: int, sign: int) -> None:
    cursor.execute(
        """
        INSERT INTO retrieval_lexemestatistic (lexeme, chunk_count)
        SELECT u.lexeme, %s * count(*)
        FROM retrieval_chunk c, unnest(c.lexemes) u
        WHERE c.document_id = %s
        GROUP BY u.lexeme
        ORDER BY u.lexeme
        ON CONFLICT (lexeme) DO UPDATE
        SET chunk_count = retrieval_lexemestatistic.chunk_count + EXCLUDED.chunk_count
        """,
        [sign, document_id],
    )
    cursor.execute(
        """
        INSERT INTO retrieval_corpusstatistic (id, chunk_count, lexeme_total)
        SELECT 1, %s * count(*), %s * coalesce(sum(lexeme_count), 0)
        FROM retrieval_chunk WHERE document_id = %s
        ON CONFLICT (id) DO UPDATE
        SET chunk_count = retrieval_corpusstatistic.chunk_count + EXCLUDED.chunk_count,
            lexeme_total = retrieval_corpusstatistic.lexeme_total + EXCLUDED.lexeme_total
        """,
        [sign, sign, document_id],
    )
    if sign < 0:
        cursor.execute("DELETE FROM retrieval_lexemestatistic WHERE chunk_count <= 0")


def query_lexemes(cursor: CursorWrapper, query: str) -> list[str]:
    """The distinct lexemes of a query, stop words dropped, as the index stores them."""
    cursor.execute(
        "SELECT DISTINCT lexeme FROM unnest(to_tsvector(%s::regconfig, %s))",
        [TEXT_SEARCH_CONFIG, query],
    )
    return [row[0] for row in cursor.fetchall()]


def _tsquery(lexemes: list[str]) -> str:
    # Quoted lexemes are taken verbatim by the tsquery input parser (no second normalisation).
    quoted = ("'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in lexemes)
    return " | ".join(quoted)


def bm25_search(
    cursor: CursorWrapper,
    *,
    query: str,
    principals: list[str],
    limit: int,
    k1: float,
    b: float,
) -> list[LexicalHit]:
    """The `limit` best chunks by BM25 among those the principals may read."""
    if not principals:
        return []
    lexemes = query_lexemes(cursor, query)
    if not lexemes:
        return []
    cursor.execute(
        """
        WITH corpus AS (
            SELECT greatest(chunk_count, 1)::float8 AS n,
                   greatest(lexeme_total::float8 / greatest(chunk_count, 1), 1) AS avgdl
            FROM retrieval_corpusstatistic WHERE id = 1
        ),
        terms AS (
            SELECT s.lexeme,
                   ln(1 + (corpus.n - s.chunk_count + 0.5) / (s.chunk_count + 0.5)) AS idf
            FROM retrieval_lexemestatistic s, corpus
            WHERE s.lexeme = ANY(%(lexemes)s) AND s.chunk_count > 0
        )
        SELECT c.id,
               sum(terms.idf * cardinality(u.positions) * (%(k1)s + 1)
                   / (cardinality(u.positions)
                      + %(k1)s * (1 - %(b)s + %(b)s * c.lexeme_count / corpus.avgdl))) AS score
        FROM retrieval_chunk c
        CROSS JOIN corpus
        -- Only the query's lexemes are unnested: setweight marks them, ts_filter keeps them.
        CROSS JOIN LATERAL unnest(ts_filter(setweight(c.lexemes, 'A', %(lexemes)s), '{a}')) AS u
        JOIN terms ON terms.lexeme = u.lexeme
        WHERE c.principals && %(principals)s::text[]
          AND c.lexemes @@ %(tsquery)s::tsquery
        GROUP BY c.id
        ORDER BY score DESC, c.id
        LIMIT %(limit)s
        """,
        {
            "lexemes": lexemes,
            "principals": principals,
            "tsquery": _tsquery(lexemes),
            "k1": k1,
            "b": b,
            "limit": limit,
        },
    )
    return [LexicalHit(chunk_id=row[0], score=float(row[1])) for row in cursor.fetchall()]
