"""Bulk ingestion: many small documents per embedding call and per transaction.

A small document ingested on its own pays a commit for each of its stages and for its chunks, and
the embedder sees only its few chunks at a time. Here a batch of documents goes through the same
pipeline together:

1. the documents are claimed in one transaction (`ingestion.documents_claim`, a run each);
2. each is parsed and chunked on its own: a file that cannot be read fails alone (the sandbox
   parses the batch's files one after another in children of one warm process);
3. all their chunks are embedded together, in the embedder's batches;
4. their chunks are stored in one transaction (`ingestion.chunks_replace_many`: COPY, the run
   checks, the BM25 statistics and the access counts of the one-document path).

If the shared embedding or the shared transaction fails for a reason that is not transient, each
document is retried on its own, so a poison document fails alone and its neighbours end ready.

Where batches run. The Celery task `retrieval.tasks.ingest_documents` takes a list of ids: like
`ingest_document` it takes ids only, is idempotent (a redelivered batch claims again what is
unfinished and skips what is ready) and acknowledges late, so a killed worker loses nothing.
`manage.py ingest` queues its files in batches of `BATCH_DOCUMENTS` small documents (a large one
goes alone), or with `--in-process` runs `documents_ingest` itself, batch after batch. Uploads
through the web keep one task per document: they arrive one at a time.

A document that an earlier run left unfinished (its claim is not its first) is not ingested with
its neighbours: it is released and handed back to the caller to ingest alone, so that a document
which kills its process (the worker, the command) cannot spend its neighbours' attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import connection

from retrieval import embedding, ingestion
from retrieval.models import Document
from retrieval.parsers import Section

logger = logging.getLogger(__name__)

# Documents per batch, and the size above which a document is ingested on its own: a batch holds
# what one transaction and one task's time limit comfortably take.
BATCH_DOCUMENTS = 32
SMALL_DOCUMENT_BYTES = 256 * 1024
# Chunks per embedding call: the embedder sorts each call's texts by length, so a call larger than
# its batch pads less; the stop check runs between calls.
EMBED_CALL_CHUNKS = 256


class Interrupted(Exception):
    """The caller asked to stop; the batch's unfinished documents were put back in the queue."""


@dataclass
class BatchOutcome:
    """What became of a batch's documents."""

    ready: list[int] = field(default_factory=list)
    # Document id → the reason it failed.
    failed: dict[int, str] = field(default_factory=dict)
    chunks: int = 0
    # Released unprocessed, to be ingested one by one (an earlier run of theirs died).
    alone: list[int] = field(default_factory=list)


def batches(
    documents: Sequence[tuple[int, int]], *, size: int = BATCH_DOCUMENTS
) -> list[list[int]]:
    """Ids of (id, bytes) pairs grouped for `documents_ingest`: `size` small ones together, each
    large one alone."""
    grouped: list[list[int]] = []
    current: list[int] = []
    for document_id, length in documents:
        if length > SMALL_DOCUMENT_BYTES:
            grouped.append([document_id])
            continue
        current.append(document_id)
        if len(current) == size:
            grouped.append(current)
            current = []
    if current:
        grouped.append(current)
    return grouped


@dataclass
class ParsedBatch:
    """A claimed batch whose files are parsed: the first half of `documents_ingest`."""

    claimed: list[Document]
    sections: dict[int, list[Section]]
    # Document id → why it cannot be read; written once the batch is past its stop check.
    failures: dict[int, str]
    alone: list[int]


def documents_ingest(
    *, document_ids: Sequence[int], should_stop: Callable[[], bool] = lambda: False
) -> BatchOutcome:
    """Ingest a batch of documents together; each ends ready or failed on its own.

    `should_stop` is asked between documents and between embedding calls: once it answers yes,
    the batch's unfinished documents go back to `queued` and Interrupted is raised.
    """
    parsed = batch_parse(document_ids=document_ids, should_stop=should_stop)
    return batch_finish(parsed, should_stop=should_stop)


def batch_parse(
    *, document_ids: Sequence[int], should_stop: Callable[[], bool] = lambda: False
) -> ParsedBatch:
    """Claim a batch and parse each of its files (in the sandbox).

    No tokenizer or embedder runs here, so a caller may parse the next batch in a thread while
    this one is embedded (the tokenizer is not safe to share between threads).
    """
    claimed = ingestion.documents_claim(document_ids=document_ids)
    # A batch of one is alone already.
    retried = [d for d in claimed if d.attempts > 1] if len(claimed) > 1 else []
    documents_release(documents=retried)
    parsed = ParsedBatch(
        claimed=[d for d in claimed if d not in retried],
        sections={},
        failures={},
        alone=[d.pk for d in retried],
    )
    # One warm sandbox process for the batch; each file is still parsed in a child of its own.
    with ingestion.parser_sandbox() as parser:
        for document in parsed.claimed:
            _stop_if_asked(should_stop, parsed.claimed)
            try:
                parsed.sections[document.pk] = ingestion.document_sections(
                    document=document, progress=False, parser=parser
                )
            except Exception as error:
                parsed.failures[document.pk] = ingestion.failure_reason(
                    error, document_id=document.pk
                )
    return parsed


def batch_finish(
    parsed: ParsedBatch, *, should_stop: Callable[[], bool] = lambda: False
) -> BatchOutcome:
    """Chunk, embed and store a parsed batch; see `documents_ingest`."""
    outcome = BatchOutcome(alone=list(parsed.alone))
    claimed = parsed.claimed
    failures = dict(parsed.failures)
    drafts: dict[int, list[ingestion.ChunkDraft]] = {}
    for document_id, sections in parsed.sections.items():
        try:
            drafts[document_id] = ingestion.sections_chunk(sections)
        except Exception as error:
            failures[document_id] = ingestion.failure_reason(error, document_id=document_id)
    # Failures are written only now: a Ctrl-C at the terminal also reaches the parser's child
    # process, and a parse it cut short is no fault of the file.
    _stop_if_asked(should_stop, claimed)
    by_id = {d.pk: d for d in claimed}
    for document_id, reason in failures.items():
        _fail(by_id[document_id], reason, outcome)

    ours = _mark_embedding([(by_id[i], len(d)) for i, d in drafts.items()])
    documents = [by_id[i] for i in drafts if i in ours]
    vectors = _embed(documents, drafts, outcome, stop=lambda: _stop_if_asked(should_stop, claimed))
    _store(
        [
            ingestion.Replacement(
                document_id=d.pk,
                prepared=ingestion.PreparedDocument(drafts=drafts[d.pk], vectors=vectors[d.pk]),
                run=d.run,
            )
            for d in documents
            if d.pk in vectors
        ],
        outcome,
    )
    return outcome


def documents_release(*, documents: Sequence[Document]) -> int:
    """Put claimed documents back in the queue, undoing their claims; returns how many.

    Only documents still held by the run that claimed them; the claim's attempt is given back,
    since the interruption was no fault of the document.
    """
    if not documents:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE retrieval_document d
            SET status = %s, stage = %s, progress_done = 0, progress_total = 0,
                attempts = greatest(d.attempts - 1, 0), updated_at = now()
            FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS run) v
            WHERE d.id = v.id AND d.run = v.run AND d.status = %s
            """,
            [
                Document.Status.QUEUED,
                Document.Stage.WAITING,
                [d.pk for d in documents],
                [d.run for d in documents],
                Document.Status.PROCESSING,
            ],
        )
        return int(cursor.rowcount)


def _stop_if_asked(should_stop: Callable[[], bool], claimed: Sequence[Document]) -> None:
    if should_stop():
        documents_release(documents=claimed)
        raise Interrupted


def _mark_embedding(totals: list[tuple[Document, int]]) -> set[int]:
    """Move the documents to the embedding stage; the ids still held by their runs."""
    if not totals:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE retrieval_document d
            SET stage = %s, progress_done = 0, progress_total = v.total, updated_at = now()
            FROM (
                SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS run,
                       unnest(%s::bigint[]) AS total
            ) v
            WHERE d.id = v.id AND d.run = v.run AND d.status = %s
            RETURNING d.id
            """,
            [
                Document.Stage.EMBEDDING,
                [d.pk for d, _ in totals],
                [d.run for d, _ in totals],
                [total for _, total in totals],
                Document.Status.PROCESSING,
            ],
        )
        return {row[0] for row in cursor.fetchall()}


def _embed(
    documents: list[Document],
    drafts: dict[int, list[ingestion.ChunkDraft]],
    outcome: BatchOutcome,
    *,
    stop: Callable[[], None],
) -> dict[int, np.ndarray]:
    """The vectors of each document's chunks, embedded together; a document that breaks the
    embedder is failed alone."""
    texts = [ingestion.embedding_text(d.title, draft) for d in documents for draft in drafts[d.pk]]
    try:
        parts = []
        for start in range(0, len(texts), EMBED_CALL_CHUNKS):
            stop()
            parts.append(embedding.embed_texts(texts[start : start + EMBED_CALL_CHUNKS]))
        stop()
    except (*ingestion.TRANSIENT, Interrupted):
        raise
    except Exception:
        logger.exception(
            "embedding a batch of %d documents failed; embedding each alone", len(documents)
        )
        return _embed_each(documents, drafts, outcome)
    vectors = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
    result: dict[int, np.ndarray] = {}
    offset = 0
    for document in documents:
        count = len(drafts[document.pk])
        result[document.pk] = vectors[offset : offset + count]
        offset += count
    return result


def _embed_each(
    documents: list[Document], drafts: dict[int, list[ingestion.ChunkDraft]], outcome: BatchOutcome
) -> dict[int, np.ndarray]:
    result: dict[int, np.ndarray] = {}
    for document in documents:
        texts = [ingestion.embedding_text(document.title, draft) for draft in drafts[document.pk]]
        try:
            result[document.pk] = embedding.embed_texts(texts)
        except Exception as error:
            _fail(document, ingestion.failure_reason(error, document_id=document.pk), outcome)
    return result


def _store(replacements: list[ingestion.Replacement], outcome: BatchOutcome) -> None:
    """Store the batch in one transaction; if it fails for a reason of its data, each alone."""
    try:
        stored = ingestion.chunks_replace_many(replacements=replacements)
    except ingestion.TRANSIENT:
        raise
    except Exception:
        logger.exception(
            "storing a batch of %d documents failed; storing each alone", len(replacements)
        )
        stored = set()
        for replacement in replacements:
            try:
                stored |= ingestion.chunks_replace_many(replacements=[replacement])
            except Exception as error:
                reason = ingestion.failure_reason(error, document_id=replacement.document_id)
                if ingestion.document_fail(
                    document_id=replacement.document_id, run=replacement.run, reason=reason
                ):
                    outcome.failed[replacement.document_id] = reason
    for replacement in replacements:
        if replacement.document_id in stored:
            outcome.ready.append(replacement.document_id)
            outcome.chunks += len(replacement.prepared.drafts)


def _fail(document: Document, reason: str, outcome: BatchOutcome) -> None:
    if ingestion.document_fail(document_id=document.pk, run=document.run, reason=reason):
        outcome.failed[document.pk] = reason
