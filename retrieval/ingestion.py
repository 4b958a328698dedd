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


@dataclass(frozen=True)
class PreparedDocument:
    """A document's chunks and their embeddings, ready to store."""

    drafts: list[ChunkDraft]
    vectors: np.ndarray


def document_ingest(*, document_id: int) -> None:
    """Ingest one document end to end; a bad file ends `failed` with its reason."""
    document = document_claim(document_id=document_id)
    if document is None:
        return
    try:
        prepared = document_prepare(document=document)
    except (IngestFailure, ParseError) as error:
        document_fail(document_id=document_id, reason=str(error))
        return
    except FileNotFoundError:
        document_fail(document_id=document_id, reason="The stored file is missing.")
        return
    except (OperationalError, InterfaceError, OSError):
        raise  # transient: the task retries with backoff
    except Exception as error:
        # A bug or an unforeseen input: fail with a reason rather than retry the same crash.
        logger.exception("ingesting document %s failed", document_id)
        document_fail(
            document_id=document_id,
            reason=f"Ingestion failed unexpectedly ({type(error).__name__}: {error}).",
        )
        return
    chunks_replace(document_id=document_id, prepared=prepared)


def document_prepare(*, document: Document, sandbox: bool = True) -> PreparedDocument:
    """Parse, chunk and embed a document's file, reporting progress as it goes."""
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


def chunks_replace(*, document_id: int, prepared: PreparedDocument) -> bool:
    """Swap a document's chunks for new ones in one transaction; False if it was not ours."""
    with transaction.atomic():
        document = Document.objects.select_for_update().filter(pk=document_id).first()
        # Deleted, re-queued or finished by another run meanwhile: leave it to that run.
        if document is None or document.status != Document.Status.PROCESSING:
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


def document_fail(*, document_id: int, reason: str) -> None:
    """Mark a document failed with a reason people can act on; its old chunks, if any, stay."""
    logger.info("document %s failed: %s", document_id, reason)
    Document.objects.filter(pk=document_id).update(
        status=Document.Status.FAILED,
        error=reason[:2000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def document_claim(*, document_id: int) -> Document | None:
    """Mark the document processing and count the attempt; None when there is nothing to do."""
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
    Document.objects.filter(pk=document.pk).update(**changes)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
