"""The ingestion pipeline: parse → chunk → embed → replace the chunks atomically → ready.

Every step is idempotent on the document id: running it twice, or again after a worker died
half-way, ends with exactly one set of chunks from one version of the file.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from retrieval import bm25, embedding
from retrieval.chunking import ChunkDraft, chunk_sections
from retrieval.conf import config
from retrieval.models import Chunk, Document
from retrieval.parsers import ParseError, Section, format_for, parse_in_process
from retrieval.parsers.sandbox import parse_sandboxed

logger = logging.getLogger(__name__)
EMBED_BATCH_CHUNKS = 16


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
    except (IngestFailure, ParseError) as error:
        document_fail(document_id=document_id, run=run, reason=str(error))
        return
    except FileNotFoundError:
        document_fail(document_id=document_id, run=run, reason="The stored file is missing.")
        return
    except (OperationalError, InterfaceError, OSError):
        raise  # transient: the task retries with backoff
    except Exception as error:
        # A bug or an unforeseen input: fail with a reason rather than retry the same crash.
        logger.exception("ingesting document %s failed", document_id)
        document_fail(
            document_id=document_id,
            run=run,
            # The exception's text may quote the document, and staff who are not its readers see
            # this reason: the text goes to the server log only.
            reason=f"Ingestion failed unexpectedly ({type(error).__name__}; see the server log).",
        )
        return
    chunks_replace(document_id=document_id, prepared=prepared, run=run)


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


def document_chunk(*, document: Document, sandbox: bool = True) -> list[ChunkDraft]:
    """Parse and chunk a document's file; IngestFailure or ParseError when it cannot be read."""
    conf = config()
    if document.size > conf.max_file_bytes:
        raise IngestFailure(
            f"The file is {_megabytes(document.size)}, over the limit of "
            f"{_megabytes(conf.max_file_bytes)}."
        )
    if document.size == 0:
        raise IngestFailure("The file is empty.")
    _progress(document, stage=Document.Stage.PARSING)
    sections = document_parse(document=document, sandbox=sandbox)
    _progress(document, stage=Document.Stage.CHUNKING)
    drafts = chunk_sections(
        sections,
        max_tokens=conf.chunk_tokens,
        count_tokens=embedding.count_tokens,
        split_tokens=embedding.split_tokens,
    )
    if not drafts:
        raise IngestFailure(
            "No text was found in the file (an empty document, or a scan without a text layer)."
        )
    return drafts


def document_parse(*, document: Document, sandbox: bool = True) -> list[Section]:
    """The sections of a document's file; the risky formats are parsed in the sandbox."""
    conf = config()
    fmt = format_for(document.original_filename)
    suffix = Path(document.original_filename).suffix
    # Storage may be remote: parsers get a private local copy.
    with document.file.open("rb") as stored, tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        for piece in stored.chunks():
            copy.write(piece)
        copy.flush()
        path = Path(copy.name)
        if sandbox and fmt.sandboxed:
            return parse_sandboxed(
                path,
                fmt,
                timeout=conf.parse_timeout,
                memory_mb=conf.parse_memory_mb,
                max_uncompressed=conf.max_uncompressed_bytes,
            )
        return parse_in_process(path, fmt)


def embedding_text(title: str, draft: ChunkDraft) -> str:
    """What is embedded for a chunk: the document title and heading path give it context."""
    return "\n".join(part for part in (title, draft.heading_path, draft.text) if part)


def chunks_replace(*, document_id: int, prepared: PreparedDocument, run: int | None = None) -> bool:
    """Swap a document's chunks for new ones in one transaction; False if it was not ours.

    `run` is the number the claim gave this run; None (tools that hold the document themselves)
    accepts whichever run is current.
    """
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        # Deleted, re-queued, finished or claimed by a newer run meanwhile: leave it to that run.
        if (
            document is None
            or document.status != Document.Status.PROCESSING
            or (run is not None and document.run != run)
        ):
            logger.info("ingestion run %s of document %s was superseded", run, document_id)
            return False
        version = document.version + 1
        with connection.cursor() as cursor:
            bm25.lock_statistics(cursor)
            bm25.unindex_document(cursor, document_id=document_id)
            Chunk.objects.filter(document_id=document_id).delete()
            Chunk.objects.bulk_create(
                [
                    Chunk(
                        document_id=document_id,
                        version=version,
                        ordinal=draft.ordinal,
                        text=draft.text,
                        heading_path=draft.heading_path,
                        page=draft.page,
                        location=draft.location,
                        token_count=draft.token_count,
                        embedding=vector,
                        principals=document.principals,
                    )
                    for draft, vector in zip(prepared.drafts, prepared.vectors, strict=True)
                ],
                batch_size=500,
            )
            bm25.index_document(cursor, document_id=document_id, title=document.title)
        document.version = version
        document.chunk_count = len(prepared.drafts)
        document.status = Document.Status.READY
        document.stage = Document.Stage.DONE
        document.progress_done = document.progress_total = len(prepared.drafts)
        document.error = ""
        document.finished_at = timezone.now()
        document.save()
    return True


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
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status not in (
            Document.Status.QUEUED,
            Document.Status.PROCESSING,
        ):
            return None
        if document.attempts >= config().ingest_max_attempts:
            # Each attempt that got here died without finishing (e.g. the worker was killed).
            document.status = Document.Status.FAILED
            document.error = (
                f"Ingestion was interrupted {document.attempts} times without finishing; "
                "gave up. Re-index to try again."
            )
            document.finished_at = timezone.now()
            document.save()
            return None
        document.attempts += 1
        document.run += 1
        document.status = Document.Status.PROCESSING
        document.stage = Document.Stage.PARSING
        document.progress_done = document.progress_total = 0
        document.error = ""
        document.started_at = timezone.now()
        document.save()
    return document


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
