"""Documents, their chunks, and the term statistics that BM25 needs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 384


def stored_name(instance: Document, filename: str) -> str:
    """A random storage name: the original name is kept in the row, never on disk."""
    token = uuid.uuid4().hex
    return f"documents/{token[:2]}/{token}"


class Document(models.Model):
    """An uploaded file, who may read it, and where its ingestion stands."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    class Stage(models.TextChoices):
        WAITING = "waiting"
        PARSING = "parsing"
        CHUNKING = "chunking"
        EMBEDDING = "embedding"
        INDEXING = "indexing"
        DONE = "done"

    title = models.CharField(max_length=300)
    original_filename = models.CharField(max_length=300)
    file = models.FileField(upload_to=stored_name, max_length=200)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_documents",
    )
    org_wide = models.BooleanField(default=False)
    allowed_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_documents"
    )
    allowed_groups = models.ManyToManyField(Group, blank=True, related_name="documents")
    # Who may read it, in the same form as Chunk.principals (kept equal in every access change).
    principals = ArrayField(models.TextField(), default=list, blank=True)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.WAITING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Raised by each ingestion run as it claims the document (never reset); a run writes only while
    # it is still the latest, so a stale one cannot undo a newer one's work.
    run = models.PositiveIntegerField(default=0)
    # Incremented by every successful (re-)index; chunks carry the version that produced them.
    version = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            GinIndex(fields=["principals"], name="document_principals_gin"),
            models.Index(fields=["status", "updated_at"], name="document_status_updated"),
        ]

    def __str__(self) -> str:
        return self.title


class Chunk(models.Model):
    """A passage of a document: its text, where it sits and its embedding (lexemes: ChunkTerms)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    version = models.PositiveIntegerField()
    ordinal = models.PositiveIntegerField()
    text = models.TextField()
    heading_path = models.TextField(blank=True)
    # Page of a PDF or slide of a presentation; empty for formats without pages.
    page = models.PositiveIntegerField(null=True, blank=True)
    location = models.TextField(blank=True)
    token_count = models.PositiveIntegerField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS)
    principals = ArrayField(models.TextField(), default=list)

    class Meta:
        ordering = ["document_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["document", "ordinal"], name="chunk_document_ordinal")
        ]
        indexes = [
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=128,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["principals"], name="chunk_principals_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"


class ChunkTerms(models.Model):
    """A chunk's lexemes for BM25, in a narrow table of their own.

    BM25 reads every row that matches a query term. Beside the chunk's text, the tsvector pushed the
    row over PostgreSQL's 2 kB TOAST threshold, so it was stored compressed and every match paid a
    decompression (210 ms p50 at 100k chunks); here a row stays small and uncompressed. Principals are
    a copy of the chunk's, kept equal in the same transactions, so the access filter stays inside the
    query without a join.
    """

    chunk = models.OneToOneField(
        Chunk, on_delete=models.CASCADE, primary_key=True, related_name="terms"
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    # Title, headings and text as English lexemes with positions; BM25 reads term counts from it.
    lexemes = SearchVectorField()
    lexeme_count = models.PositiveIntegerField()
    # The whole document's length (the sum of its chunks' lexeme counts), the same in each of its
    # chunks: document-level BM25 normalises by it without reading the document's other chunks.
    document_lexeme_count = models.PositiveIntegerField(default=0)
    principals = ArrayField(models.TextField())

    class Meta:
        indexes = [
            GinIndex(fields=["lexemes"], name="chunkterms_lexemes_gin"),
            GinIndex(fields=["principals"], name="chunkterms_principals_gin"),
        ]

    def __str__(self) -> str:
        return f"terms of chunk {self.chunk_id}"


class LexemeStatistic(models.Model):
    """In how many chunks (and documents) a lexeme occurs: the frequencies behind BM25's IDF."""

    lexeme = models.TextField(primary_key=True)
    chunk_count = models.BigIntegerField(default=0)
    document_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lexeme}: {self.chunk_count}"


class CorpusStatistic(models.Model):
    """One row: the number of chunks and documents and their total length, for BM25."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    chunk_count = models.BigIntegerField(default=0)
    document_count = models.BigIntegerField(default=0)
    lexeme_total = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.chunk_count} chunks"


class AccessCount(models.Model):
    """Chunks per distinct set of document principals, kept by a database trigger on Document.

    Search needs how many chunks the asker may read (exact scan or index; the BM25 budget). Summing
    over documents cost 4-8 ms per search at 14k documents; a company has far fewer distinct access
    sets than documents. The trigger (migration 0004) covers every path that changes a document's
    principals or chunk count, including deletes.
    """

    principals = ArrayField(models.TextField(), unique=True)
    chunk_count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.chunk_count} chunks for {self.principals}"


class DocumentAccessChange(models.Model):
    """One change of who may read a document: append-only, and kept after the document is gone.

    The document is named by a plain id and a title snapshot rather than a foreign key, so deleting
    a document neither deletes nor rewrites its history. A database trigger (migration 0006) refuses
    UPDATE and DELETE; the one update it lets through is the actor being cleared when that account
    is deleted, and `actor_name` keeps who it was.
    """

    class Kind(models.TextChoices):
        CREATED = "created"
        CHANGED = "changed"
        DELETED = "deleted"

    document_id = models.BigIntegerField()
    document_title = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The actor's username at the time, or what made the change without a person ("manage.py ingest").
    actor_name = models.CharField(max_length=150)
    # {"org_wide", "owner", "groups": [names], "users": [usernames]}; null before a creation and
    # after a deletion.
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    before_principals = ArrayField(models.TextField(), default=list, blank=True)
    after_principals = ArrayField(models.TextField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["document_id", "created_at"], name="accesschange_document_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} access of document {self.document_id} by {self.actor_name}"
