"""BM25 in PostgreSQL: term statistics kept at ingestion, Okapi scoring over tsvector term counts.

Each chunk's English lexemes with positions (``tsvector``) sit in `ChunkTerms`, a narrow table of
their own; a lexeme's term frequency is the number of its positions, the chunk's length the sum of
those. Document frequencies live in
`LexemeStatistic` and the corpus size and total length in `CorpusStatistic`, both updated in the
transaction that replaces a document's chunks. IDF is computed over all chunks, as search engines
with document-level security (e.g. Elasticsearch) do, not over the asker's visible set.

Candidates: a chunk must contain one of the query's rarer lexemes. Terms are taken rarest first
while the chunks they would bring in (document frequency × the asker's visible share) stay within
a budget; the rarest is always taken. When even the rarest would exceed the budget (a query of
common words in a large corpus: at 1M chunks "radiation" is in thousands), a candidate must hold
two of the three rarest lexemes instead. Candidates are then scored with every query lexeme, so a
common word still counts where it occurs. Without the budget, one common word in a query ("cell",
"show") made the query score a large share of the corpus; see docs/BENCHMARKS.md (Retrieval, speed).

The same candidates also score whole documents: a document's term frequency is the sum over its
candidate chunks, its length the sum of all its chunks' lengths, its IDF counts documents. A question
is usually about one document, and the document that matches it as a whole is evidence that a chunk
matching only part of it lacks (docs/BENCHMARKS.md, Assistant). With a budget, a document is scored
on its chunks that hold one of the rarer lexemes only; without one (or in a corpus under the
budget), the score is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from django.db.backends.utils import CursorWrapper

TEXT_SEARCH_CONFIG = "english"
# Serialises statistic updates of concurrent ingestions so they never deadlock on shared lexemes.
STATISTICS_LOCK = 0x5245_5452  # "RETR"
# Below this visible share, the principals index filters BM25 candidates (see bm25_rank).
INDEXED_ACCESS_BELOW = 0.5
# The budget counts a term's matches as if the reader saw at least this share of the corpus: the
# term's whole posting list is read from the lexeme index before the reader's filter applies, so
# for a reader of 1% of a 1M-chunk corpus, terms within budget once meant reading 131k postings
# (40 ms) to score 1,300 visible chunks (docs/BENCHMARKS.md, filtered search at scale).
POSTINGS_SHARE_FLOOR = 0.1
# Document-level BM25 takes the textbook parameters: documents vary in length far more than
# chunks, which the chunking keeps near one size.
DOCUMENT_K1 = 1.2
DOCUMENT_B = 0.75


@dataclass(frozen=True)
class LexicalHit:
    """A chunk and its BM25 score."""

    chunk_id: int
    score: float
    document_id: int = 0


@dataclass(frozen=True)
class LexicalRanking:
    """The best chunks by BM25, best first, and the BM25 scores of the documents they come from."""

    chunks: list[LexicalHit]
    # Document id -> document-level BM25, best first, for every document with a candidate chunk.
    documents: dict[int, float]


def lock_statistics(cursor: CursorWrapper) -> None:
    """Take the statistics lock until the end of the current transaction."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [STATISTICS_LOCK])


def index_document(cursor: CursorWrapper, *, document_id: int, title: str) -> None:
    """Store the lexemes of a document's chunks (title + headings + text) and count them in."""
    cursor.execute(
        """
        INSERT INTO retrieval_chunkterms
            (chunk_id, document_id, lexemes, lexeme_count, document_lexeme_count, principals)
        SELECT w.id, w.document_id, w.tsv, w.n, sum(w.n) OVER (), w.principals
        FROM (
            SELECT v.id, v.document_id, v.tsv, v.principals,
                   (SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(v.tsv) u) AS n
            FROM (
                SELECT id, document_id, principals,
                       to_tsvector(%s::regconfig, %s || E'\\n' || heading_path || E'\\n' || text) tsv
                FROM retrieval_chunk WHERE document_id = %s
            ) v
        ) w
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
        INSERT INTO retrieval_lexemestatistic (lexeme, chunk_count, document_count)
        SELECT u.lexeme, %s * count(*), %s
        FROM retrieval_chunkterms c, unnest(c.lexemes) u
        WHERE c.document_id = %s
        GROUP BY u.lexeme
        ORDER BY u.lexeme
        ON CONFLICT (lexeme) DO UPDATE
        SET chunk_count = retrieval_lexemestatistic.chunk_count + EXCLUDED.chunk_count,
            document_count = retrieval_lexemestatistic.document_count + EXCLUDED.document_count
        """,
        [sign, sign, document_id],
    )
    cursor.execute(
        """
        INSERT INTO retrieval_corpusstatistic (id, chunk_count, document_count, lexeme_total)
        SELECT 1, %s * count(*), %s * least(count(*), 1), %s * coalesce(sum(lexeme_count), 0)
        FROM retrieval_chunkterms WHERE document_id = %s
        ON CONFLICT (id) DO UPDATE
        SET chunk_count = retrieval_corpusstatistic.chunk_count + EXCLUDED.chunk_count,
            document_count = retrieval_corpusstatistic.document_count + EXCLUDED.document_count,
            lexeme_total = retrieval_corpusstatistic.lexeme_total + EXCLUDED.lexeme_total
        """,
        [sign, sign, sign, document_id],
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


def _frequencies(cursor: CursorWrapper, lexemes: list[str]) -> dict[str, int]:
    cursor.execute(
        "SELECT lexeme, chunk_count FROM retrieval_lexemestatistic WHERE lexeme = ANY(%s)",
        [lexemes],
    )
    return dict(cursor.fetchall())


def candidate_lexemes(
    cursor: CursorWrapper,
    lexemes: list[str],
    *,
    visible_share: float,
    budget: int,
    frequency: dict[str, int] | None = None,
) -> list[str]:
    """The rarest of `lexemes` whose matches, scaled to the visible share, fit in `budget`."""
    if frequency is None:
        frequency = _frequencies(cursor, lexemes)
    chosen: list[str] = []
    expected = 0.0
    for lexeme in sorted(lexemes, key=lambda item: (frequency.get(item, 0), item)):
        matches = frequency.get(lexeme, 0) * visible_share
        if chosen and expected + matches > budget:
            break
        chosen.append(lexeme)
        expected += matches
    return chosen


def candidate_tsquery(
    cursor: CursorWrapper, lexemes: list[str], *, visible_share: float, budget: int
) -> str:
    """The tsquery that picks a query's BM25 candidates within `budget` (see the module docstring).

    When even the rarest lexeme would bring in more than the budget (a query of common words in a
    large corpus), a candidate must hold two of the three rarest lexemes instead: those chunks are
    the ones BM25 ranks first, and the candidates stay a small share of that word's matches.
    A share under POSTINGS_SHARE_FLOOR counts as the floor.
    """
    visible_share = max(visible_share, POSTINGS_SHARE_FLOOR)
    frequency = _frequencies(cursor, lexemes)
    present = sorted(
        (lexeme for lexeme in lexemes if frequency.get(lexeme, 0) > 0),
        key=lambda item: (frequency[item], item),
    )
    if len(present) >= 2 and frequency[present[0]] * visible_share > budget:
        rare = [_tsquery([lexeme]) for lexeme in present[:3]]
        return " | ".join(f"({a} & {b})" for a, b in combinations(rare, 2))
    return _tsquery(
        candidate_lexemes(
            cursor, lexemes, visible_share=visible_share, budget=budget, frequency=frequency
        )
    )


def bm25_rank(
    cursor: CursorWrapper,
    *,
    query: str,
    principals: list[str],
    limit: int,
    k1: float,
    b: float,
    budget: int = 0,
    visible_share: float = 1.0,
) -> LexicalRanking:
    """The `limit` best chunks by BM25 among those the principals may read, and their documents'.

    With a `budget`, candidates are the chunks holding one of the rarer query lexemes (see the
    module's docstring); 0 scores every chunk that holds any of them. Documents are scored over
    the same candidates with DOCUMENT_K1 and DOCUMENT_B; the `limit` best are returned.
    """
    if not principals:
        return LexicalRanking([], {})
    lexemes = query_lexemes(cursor, query)
    if not lexemes:
        return LexicalRanking([], {})
    candidates = (
        candidate_tsquery(cursor, lexemes, visible_share=visible_share, budget=budget)
        if budget > 0
        else _tsquery(lexemes)
    )
    # A reader who sees most chunks is filtered row by row: intersecting a principals index that
    # matches nearly every row with the lexeme index cost more (18 ms at 100k chunks) than it
    # saved. A reader who sees few is filtered through that index, before rows are read.
    access = (
        "c.principals && %(principals)s::text[]"
        if visible_share < INDEXED_ACCESS_BELOW
        else "(c.principals || '{}'::text[]) && %(principals)s::text[]"
    )
    cursor.execute(
        """
        WITH corpus AS (
            SELECT greatest(chunk_count, 1)::float8 AS n,
                   greatest(lexeme_total::float8 / greatest(chunk_count, 1), 1) AS avgdl,
                   greatest(document_count, 1)::float8 AS documents,
                   greatest(lexeme_total::float8 / greatest(document_count, 1), 1) AS document_avgdl
            FROM retrieval_corpusstatistic WHERE id = 1
        ),
        terms AS (
            SELECT s.lexeme,
                   ln(1 + (corpus.n - s.chunk_count + 0.5) / (s.chunk_count + 0.5)) AS idf,
                   ln(1 + (corpus.documents - s.document_count + 0.5) / (s.document_count + 0.5))
                       AS document_idf
            FROM retrieval_lexemestatistic s, corpus
            WHERE s.lexeme = ANY(%(lexemes)s) AND s.chunk_count > 0
        ),
        matches AS MATERIALIZED (
            SELECT c.chunk_id, c.document_id, c.lexeme_count, c.document_lexeme_count,
                   u.lexeme, cardinality(u.positions) AS tf
            FROM retrieval_chunkterms c
            -- Only the query's lexemes are unnested: setweight marks them, ts_filter keeps them.
            CROSS JOIN LATERAL unnest(ts_filter(setweight(c.lexemes, 'A', %(lexemes)s), '{a}')) AS u
            WHERE {access}
              AND c.lexemes @@ %(tsquery)s::tsquery
        ),
        chunk_scores AS (
            SELECT m.chunk_id, m.document_id,
                   sum(terms.idf * m.tf * (%(k1)s::float8 + 1)
                       / (m.tf + %(k1)s::float8 * (1 - %(b)s::float8 + %(b)s::float8 * m.lexeme_count / corpus.avgdl)))
                       AS score
            FROM matches m JOIN terms ON terms.lexeme = m.lexeme CROSS JOIN corpus
            GROUP BY m.chunk_id, m.document_id
            ORDER BY score DESC, m.chunk_id
            LIMIT %(limit)s
        ),
        document_terms AS (
            SELECT document_id, lexeme, sum(tf) AS tf, max(document_lexeme_count) AS length
            FROM matches GROUP BY document_id, lexeme
        ),
        document_scores AS (
            SELECT d.document_id,
                   sum(terms.document_idf * d.tf * (%(dk1)s::float8 + 1)
                       / (d.tf + %(dk1)s::float8 * (1 - %(db)s::float8 + %(db)s::float8 * d.length / corpus.document_avgdl)))
                       AS score
            FROM document_terms d JOIN terms ON terms.lexeme = d.lexeme CROSS JOIN corpus
            GROUP BY d.document_id
            ORDER BY score DESC, d.document_id
            LIMIT %(limit)s
        )
        SELECT 'c', chunk_id, document_id, score FROM chunk_scores
        UNION ALL
        SELECT 'd', document_id, document_id, score FROM document_scores
        """.replace("{access}", access),
        {
            "lexemes": lexemes,
            "principals": principals,
            "tsquery": candidates,
            "k1": k1,
            "b": b,
            "dk1": DOCUMENT_K1,
            "db": DOCUMENT_B,
            "limit": limit,
        },
    )
    rows = cursor.fetchall()
    chunks = sorted(
        (
            LexicalHit(chunk_id=row[1], score=float(row[3]), document_id=row[2])
            for row in rows
            if row[0] == "c"
        ),
        key=lambda hit: (-hit.score, hit.chunk_id),
    )
    documents = sorted(
        ((row[1], float(row[3])) for row in rows if row[0] == "d"),
        key=lambda item: (-item[1], item[0]),
    )
    return LexicalRanking(chunks=chunks, documents=dict(documents))
