"""Partial HNSW indexes, one per large principal, so a group's reader searches a graph of its own.

With one HNSW index over every chunk, a reader who may see 10% of the corpus pays for the other
90%: an iterative scan has to read about ten graph neighbours (and their heap rows, to check the
principals) for every one it may keep. A partial index whose predicate is one principal
(`principals && '{g:7}'`) holds only that principal's chunks, so its scan needs no filtering at
all and costs what an unfiltered scan of a smaller corpus costs.

Which principals get one: those whose documents hold at least `MIN_CHUNKS` chunks (below that, an
exact scan of the visible vectors is as fast and never misses) and at most `MAX_SHARE` of all
chunks (above that, the filter of the full index lets most rows through and the full index is
enough). An index is dropped only when its principal falls below half of `MIN_CHUNKS` or above
`MAX_SHARE` + 0.1, so a set hovering at a threshold does not make indexes come and go.

Membership needs no upkeep: PostgreSQL puts a row into every partial index whose predicate it
satisfies as the row is written, so the `UPDATE` that changes a document's chunks' principals
(retrieval.services) moves them between indexes in its own transaction. What changes over time is
which principals deserve an index; `partial_indexes_sync()` creates and drops them
(`CREATE INDEX CONCURRENTLY`, so writes carry on while one is built) and is meant to run
periodically and after bulk loads.

The planner uses a partial index only when the query's WHERE implies the index predicate, so the
search (retrieval.search) writes one branch per indexed principal with that very predicate beside
the reader's whole principal filter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.backends.utils import CursorWrapper

PREFIX = "chunk_hnsw_p_"
MIN_CHUNKS = 5_000
MAX_SHARE = 0.5
# The same graph parameters as the full index (retrieval.models.Chunk).
HNSW_WITH = "m = 16, ef_construction = 128"
_PRINCIPAL = re.compile(r"^(\*|[ug]:[0-9]+)$")


@dataclass(frozen=True)
class SyncReport:
    """What one `partial_indexes_sync` did: principals whose index was created or dropped."""

    created: list[str]
    dropped: list[str]


def index_name(principal: str) -> str:
    """The partial index of one principal ("g:7" -> chunk_hnsw_p_g7, "*" -> chunk_hnsw_p_all)."""
    if not _PRINCIPAL.match(principal):
        raise ValueError(f"not a principal: {principal!r}")
    return PREFIX + ("all" if principal == "*" else principal.replace(":", ""))


def principal_of(name: str) -> str | None:
    """The principal a partial index serves, or None when the name is not one of ours."""
    if not name.startswith(PREFIX):
        return None
    rest = name[len(PREFIX) :]
    if rest == "all":
        return "*"
    if re.fullmatch(r"[ug][0-9]+", rest):
        return f"{rest[0]}:{rest[1:]}"
    return None


def predicate(principal: str) -> str:
    """The SQL predicate of a principal's index; a query must repeat it for the planner to use it.

    The principal is checked against the principal syntax before it is written into SQL (index
    predicates cannot take parameters).
    """
    index_name(principal)
    return f"principals && '{{{principal}}}'::text[]"


def indexed_principals(cursor: CursorWrapper) -> set[str]:
    """Principals whose partial index exists and is valid (a failed concurrent build is not)."""
    cursor.execute(
        """
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'retrieval_chunk'::regclass AND i.indisvalid AND c.relname LIKE %s
        """,
        [PREFIX + "%"],
    )
    return {p for (name,) in cursor.fetchall() if (p := principal_of(name)) is not None}


def principal_chunks(
    cursor: CursorWrapper, principals: Iterable[str] | None = None
) -> dict[str, int]:
    """Chunks readable through each principal (of `principals`, or all), from the access counts."""
    wanted = None if principals is None else list(principals)
    cursor.execute(
        """
        SELECT p, sum(a.chunk_count) FROM retrieval_accesscount a, unnest(a.principals) p
        WHERE %s::text[] IS NULL OR p = ANY(%s::text[])
        GROUP BY p
        """,
        [wanted, wanted],
    )
    return {principal: int(count) for principal, count in cursor.fetchall()}


def wanted_principals(
    counts: dict[str, int],
    total: int,
    *,
    existing: set[str],
    min_chunks: int = MIN_CHUNKS,
    max_share: float = MAX_SHARE,
) -> set[str]:
    """The principals that should have a partial index, keeping existing ones within a margin."""
    wanted = set()
    for principal, count in counts.items():
        share = count / total if total else 0.0
        if principal in existing:
            keep = count >= min_chunks // 2 and share <= max_share + 0.1
        else:
            keep = count >= min_chunks and share <= max_share
        if keep and _PRINCIPAL.match(principal):
            wanted.add(principal)
    return wanted


def partial_indexes_sync(
    *, min_chunks: int | None = None, max_share: float | None = None, concurrently: bool = True
) -> SyncReport:
    """Create the partial indexes that large principals need and drop those no longer needed.

    `concurrently=False` builds inside the caller's transaction (tests, or a bulk load that holds
    the table anyway); concurrently, it must run outside any transaction.
    """
    min_chunks = MIN_CHUNKS if min_chunks is None else min_chunks
    max_share = MAX_SHARE if max_share is None else max_share
    with connection.cursor() as cursor:
        existing = indexed_principals(cursor)
        counts = principal_chunks(cursor)
        total = _total_chunks(cursor)
        wanted = wanted_principals(
            counts, total, existing=existing, min_chunks=min_chunks, max_share=max_share
        )
        # Invalid leftovers of an interrupted concurrent build are dropped and built again.
        _drop_invalid(cursor, concurrently=concurrently)
        dropped = sorted(existing - wanted)
        for principal in dropped:
            index_drop(cursor, principal, concurrently=concurrently)
        created = sorted(wanted - existing)
        for principal in created:
            index_create(cursor, principal, concurrently=concurrently)
    return SyncReport(created=created, dropped=dropped)


def index_create(cursor: CursorWrapper, principal: str, *, concurrently: bool = True) -> None:
    """Build the partial HNSW index of one principal."""
    cursor.execute(
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS "
        f"{index_name(principal)} ON retrieval_chunk USING hnsw (embedding vector_cosine_ops) "
        f"WITH ({HNSW_WITH}) WHERE {predicate(principal)}"
    )


def index_drop(cursor: CursorWrapper, principal: str, *, concurrently: bool = True) -> None:
    """Drop the partial HNSW index of one principal."""
    cursor.execute(
        f"DROP INDEX {'CONCURRENTLY ' if concurrently else ''}IF EXISTS {index_name(principal)}"
    )


def _drop_invalid(cursor: CursorWrapper, *, concurrently: bool) -> None:
    cursor.execute(
        """
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'retrieval_chunk'::regclass AND NOT i.indisvalid AND c.relname LIKE %s
        """,
        [PREFIX + "%"],
    )
    for (name,) in cursor.fetchall():
        principal = principal_of(name)
        if principal is not None:
            index_drop(cursor, principal, concurrently=concurrently)


def _total_chunks(cursor: CursorWrapper) -> int:
    cursor.execute("SELECT coalesce(sum(chunk_count), 0) FROM retrieval_accesscount")
    return int(cursor.fetchone()[0])
