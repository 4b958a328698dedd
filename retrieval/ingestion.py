"""The ingestion pipeline: parse → chunk → embed → replace the chunks atomically → ready.

Every step is idempotent on the document id: running it twice, or again after a worker died
half-way, ends with exactly one set of chunks from one version of the file. Chunks are written
with COPY, and `chunks_replace_many` stores several documents in one transaction (retrieval.bulk
drives it for many small documents).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from retrieval import bm25, embedding
from retrieval.chunking import ChunkDraft, chunk_sections
from retrieval.conf import config
from retrieval.models import EMBEDDING_DIMENSIONS, Chunk, Document
from retrieval.parsers import ParseError, Section, format_for, parse_in_process
from retrieval.parsers.sandbox import Sandbox

logger = logging.getLogger(__name__)
EMBED_BATCH_CHUNKS = 16
# How a claim that gives up on a document after repeated interruptions starts its reason; a rerun
# of `manage.py ingest` takes such documents up again (they were never found faulty).
INTERRUPTED = "Ingestion was interrupted"
# Failures worth another try: the database or storage was briefly unavailable.
TRANSIENT = (OperationalError, InterfaceError, OSError)


class IngestFailure(Exception):
    """The document cannot be ingested; the message is the reason shown to people."""


class Superseded(Exception):
    """A newer run has claimed the document (or it was re-queued or deleted): this run stops."""


@dataclass(frozen=True)
class PreparedDocument:
    """A document's chunks and their embeddings, ready to store."""

    drafts: list[ChunkDraft]
    vectors: np.ndarray


def document_ingest(*, document_id: int) -> None:
    """Ingest one document end to end; a bad file ends `failed` with its reason."""
    document = document_claim(document_id=document_id)
    if document is not None:
        document_process(document=document)


def document_process(*, document: Document) -> None:
    """Take a claimed document through the pipeline; stops quietly once a newer run claimed it."""
    document_id, run = document.pk, document.run
    try:
        prepared = document_prepare(document=document)
    except Superseded:
        logger.info("ingestion run %s of document %s was superseded", run, document_id)
        return
    except Exception as error:
        document_fail(
            document_id=document_id, run=run, reason=failure_reason(error, document_id=document_id)
        )
        return
    chunks_replace(document_id=document_id, prepared=prepared, run=run)


def failure_reason(error: Exception, *, document_id: int) -> str:
    """The reason a document fails for `error`; re-raises transient errors (the task retries).

    Call it from the `except` block that caught `error`.
    """
    if isinstance(error, (IngestFailure, ParseError)):
        return str(error)
    if isinstance(error, FileNotFoundError):
        return "The stored file is missing."
    if isinstance(error, TRANSIENT):
        raise error
    # A bug or an unforeseen input: fail with a reason rather than retry the same crash.
    logger.exception("ingesting document %s failed", document_id)
    # The exception's text may quote the document, and staff who are not its readers see this
    # reason: the text goes to the server log only.
    return f"Ingestion failed unexpectedly ({type(error).__name__}; see the server log)."


def document_prepare(*, document: Document, sandbox: bool = True) -> PreparedDocument:
    """Parse, chunk and embed a document's file, reporting progress; Superseded if overtaken."""
    drafts = document_chunk(document=document, sandbox=sandbox)
    _progress(document, stage=Document.Stage.EMBEDDING, done=0, total=len(drafts))
    texts = [embedding_text(document.title, d) for d in drafts]
    vectors = []
    for start in range(0, len(texts), EMBED_BATCH_CHUNKS):
        vectors.append(embedding.embed_texts(texts[start : start + EMBED_BATCH_CHUNKS]))
        _progress(document, done=min(start + EMBED_BATCH_CHUNKS, len(texts)))
    return PreparedDocument(drafts=drafts, vectors=np.concatenate(vectors))


def document_chunk(
    *, document: Document, sandbox: bool = True, progress: bool = True
) -> list[ChunkDraft]:
    """Parse and chunk a document's file; IngestFailure or ParseError when it cannot be read.

    `progress=False` writes no stage (a batch reports its stages for all its documents at once).
    """
    sections = document_sections(document=document, sandbox=sandbox, progress=progress)
    if progress:
        _progress(document, stage=Document.Stage.CHUNKING)
    return sections_chunk(sections)


def document_sections(
    *,
    document: Document,
    sandbox: bool = True,
    progress: bool = True,
    parser: Sandbox | None = None,
) -> list[Section]:
    """Check a document's file against the limits and parse it; IngestFailure or ParseError.

    `parser` is a sandbox that parses several documents one after another (a batch's); without
    one, the document gets a sandbox of its own.
    """
    conf = config()
    if document.size > conf.max_file_bytes:
        raise IngestFailure(
            f"The file is {_megabytes(document.size)}, over the limit of "
            f"{_megabytes(conf.max_file_bytes)}."
        )
    if document.size == 0:
        raise IngestFailure("The file is empty.")
    if progress:
        _progress(document, stage=Document.Stage.PARSING)
    return document_parse(document=document, sandbox=sandbox, parser=parser)


def sections_chunk(sections: list[Section]) -> list[ChunkDraft]:
    """The chunks of parsed sections; IngestFailure when they hold no text."""
    drafts = chunk_sections(
        sections,
        max_tokens=config().chunk_tokens,
        count_tokens=embedding.count_tokens,
        split_tokens=embedding.split_tokens,
    )
    if not drafts:
        raise IngestFailure(
            "No text was found in the file (an empty document, or a scan without a text layer)."
        )
    return drafts


def parser_sandbox() -> Sandbox:
    """A sandbox with the configured limits, to parse several documents one after another."""
    conf = config()
    return Sandbox(
        timeout=conf.parse_timeout,
        memory_mb=conf.parse_memory_mb,
        max_uncompressed=conf.max_uncompressed_bytes,
    )


def document_parse(
    *, document: Document, sandbox: bool = True, parser: Sandbox | None = None
) -> list[Section]:
    """The sections of a document's file; the risky formats are parsed in the sandbox (`parser`,
    or one of the document's own)."""
    fmt = format_for(document.original_filename)
    suffix = Path(document.original_filename).suffix
    # Storage may be remote: parsers get a private local copy.
    with document.file.open("rb") as stored, tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for piece in stored.chunks():
            copy.write(piece)
        copy.flush()
        path = Path(copy.name)
        if sandbox and fmt.sandboxed:
            if parser is not None:
                return parser.parse(path, fmt)
            with parser_sandbox() as own:
                return own.parse(path, fmt)
        return parse_in_process(path, fmt)


def embedding_text(title: str, draft: ChunkDraft) -> str:
    """What is embedded for a chunk: the document title and heading path give it context."""
    return "\n".join(part for part in (title, draft.heading_path, draft.text) if part)


@dataclass(frozen=True)
class Replacement:
    """New chunks for one document, from the ingestion run `run` (None: whichever is current)."""

    document_id: int
    prepared: PreparedDocument
    run: int | None = None


def chunks_replace(*, document_id: int, prepared: PreparedDocument, run: int | None = None) -> bool:
    """Swap a document's chunks for new ones in one transaction; False if it was not ours.

    `run` is the number the claim gave this run; None (tools that hold the document themselves)
    accepts whichever run is current.
    """
    stored = chunks_replace_many(
        replacements=[Replacement(document_id=document_id, prepared=prepared, run=run)]
    )
    return document_id in stored


def chunks_replace_many(*, replacements: Sequence[Replacement]) -> set[int]:
    """Swap the chunks of several documents in one transaction; returns the ids stored.

    A document deleted, re-queued, finished or claimed by a newer run meanwhile is left to that run
    (not in the result). Chunks go in with one COPY; the BM25 statistics and the access counts (a
    trigger on the document row) change in the same transaction.
    """
    wanted = {r.document_id: r for r in replacements}
    stored: set[int] = set()
    with transaction.atomic():
        # Locked in id order: concurrent batches that share documents never deadlock.
        locked = Document.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
        documents = []
        for document in locked:
            run = wanted[document.pk].run
            if document.status == Document.Status.PROCESSING and (
                run is None or document.run == run
            ):
                documents.append(document)
        for document_id in wanted.keys() - {d.pk for d in documents}:
            logger.info(
                "ingestion run %s of document %s was superseded",
                wanted[document_id].run,
                document_id,
            )
        if not documents:
            return stored
        ids = [d.pk for d in documents]
        with connection.cursor() as cursor:
            bm25.lock_statistics(cursor)
            indexed = set(
                Chunk.objects.filter(document_id__in=ids)
                .values_list("document_id", flat=True)
                .distinct()
            )
            for document_id in sorted(indexed):
                bm25.unindex_document(cursor, document_id=document_id)
            if indexed:
                Chunk.objects.filter(document_id__in=indexed).delete()
            _copy_chunks(cursor, documents=documents, replacements=wanted)
            for document in documents:
                bm25.index_document(cursor, document_id=document.pk, title=document.title)
        finished = timezone.now()
        for document in documents:
            count = len(wanted[document.pk].prepared.drafts)
            document.version += 1
            document.chunk_count = count
            document.status = Document.Status.READY
            document.stage = Document.Stage.DONE
            document.progress_done = document.progress_total = count
            document.error = ""
            document.finished_at = finished
            document.save()
            stored.add(document.pk)
    return stored


# The chunk table's columns as COPY writes them (the id comes from its sequence).
_CHUNK_COLUMNS = (
    "document_id",
    "version",
    "ordinal",
    "text",
    "heading_path",
    "page",
    "location",
    "token_count",
    "embedding",
    "principals",
)


def _copy_chunks(
    cursor: Any, *, documents: list[Document], replacements: dict[int, Replacement]
) -> None:
    """Write the documents' new chunks (version = the document's next) with one COPY."""
    statement = f"COPY {Chunk._meta.db_table} ({', '.join(_CHUNK_COLUMNS)}) FROM STDIN"
    # Django's wrapper hides psycopg's COPY support; the psycopg cursor underneath has it.
    with cursor.cursor.copy(statement) as copy:
        for document in documents:
            prepared = replacements[document.pk].prepared
            if prepared.vectors.shape != (len(prepared.drafts), EMBEDDING_DIMENSIONS):
                raise ValueError(
                    f"{len(prepared.drafts)} chunks need as many {EMBEDDING_DIMENSIONS}-dimensional "
                    f"vectors, not {prepared.vectors.shape}"
                )
            version = document.version + 1
            for draft, vector in zip(prepared.drafts, prepared.vectors, strict=True):
                copy.write_row(
                    (
                        document.pk,
                        version,
                        draft.ordinal,
                        draft.text,
                        draft.heading_path,
                        draft.page,
                        draft.location,
                        draft.token_count,
                        _vector_text(vector),
                        document.principals,
                    )
                )


def _vector_text(vector: np.ndarray) -> str:
    # pgvector's text form; nine significant digits give back the same float32.
    return "[" + ",".join(format(float(value), ".9g") for value in vector) + "]"


def document_fail(*, document_id: int, reason: str, run: int | None = None) -> bool:
    """Mark a document failed with a reason people can act on; its old chunks, if any, stay.

    With `run`, only while that run still holds the document (False, and nothing written, once a
    newer run claimed it or it left `processing`); without, whatever its state.
    """
    target = Document.objects.filter(pk=document_id)
    if run is not None:
        target = target.filter(run=run, status=Document.Status.PROCESSING)
    failed = target.update(
        status=Document.Status.FAILED,
        error=reason[:2000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if failed:
        logger.info("document %s failed: %s", document_id, reason)
    else:
        logger.info("ingestion run %s of document %s was superseded", run, document_id)
    return bool(failed)


def document_claim(*, document_id: int) -> Document | None:
    """Mark the document processing under a new run number; None when there is nothing to do.

    The returned document carries its `run`: every later write of this run names it, and stops
    once another claim has moved the number on.
    """
    claimed = documents_claim(document_ids=[document_id])
    return claimed[0] if claimed else None


def documents_claim(*, document_ids: Sequence[int]) -> list[Document]:
    """Claim several documents in one transaction, as `document_claim` does each; in id order."""
    claimed = []
    with transaction.atomic():
        locked = Document.objects.select_for_update().filter(pk__in=document_ids).order_by("pk")
        for document in locked:
            if document.status not in (Document.Status.QUEUED, Document.Status.PROCESSING):
                continue
            if document.attempts >= config().ingest_max_attempts:
                # Each attempt that got here died without finishing (e.g. the worker was killed).
                document.status = Document.Status.FAILED
                document.error = (
                    f"{INTERRUPTED} {document.attempts} times without finishing; "
                    "gave up. Re-index to try again."
                )
                document.finished_at = timezone.now()
                document.save()
                continue
            document.attempts += 1
            document.run += 1
            document.status = Document.Status.PROCESSING
            document.stage = Document.Stage.PARSING
            document.progress_done = document.progress_total = 0
            document.error = ""
            document.started_at = timezone.now()
            document.save()
            claimed.append(document)
    return claimed


def _progress(
    document: Document,
    *,
    stage: str | None = None,
    done: int | None = None,
    total: int | None = None,
) -> None:
    # Outside any transaction, so the admin page sees it at once; updated_at is the heartbeat.
    changes: dict[str, object] = {"updated_at": timezone.now()}
    if stage is not None:
        changes["stage"] = stage
    if done is not None:
        changes["progress_done"] = done
    if total is not None:
        changes["progress_total"] = total
    current = Document.objects.filter(
        pk=document.pk, run=document.run, status=Document.Status.PROCESSING
    )
    if not current.update(**changes):
        # Stop at once rather than spend minutes embedding for chunks that would be refused.
        raise Superseded(f"run {document.run} of document {document.pk} was superseded")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
