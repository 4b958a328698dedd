"""Celery tasks of retrieval: thin wrappers that take ids and call the services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from retrieval import bulk, ingestion, services
from retrieval.conf import config
from retrieval.dispatch import INGEST_DOCUMENT
from retrieval.models import Document

# Failures worth another try: the database or storage was briefly unavailable.
TRANSIENT = (OperationalError, InterfaceError, OSError)


@shared_task(
    name=INGEST_DOCUMENT,
    bind=True,
    queue="ingest",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=4,
    # Within the broker's visibility timeout (task time limit + 300 s in settings).
    soft_time_limit=840,
    time_limit=900,
)
def ingest_document(self, document_id: int) -> None:  # type: ignore[no-untyped-def]
    """Ingest the document with this id."""
    # The run this task claimed: giving up writes only while it still holds the document. None
    # until claimed; a claim that failed leaves the document to the reconciler.
    run: int | None = None
    try:
        document = ingestion.document_claim(document_id=document_id)
        if document is None:
            return
        run = document.run
        ingestion.document_process(document=document)
    except SoftTimeLimitExceeded:
        if run is not None:
            ingestion.document_fail(
                document_id=document_id,
                run=run,
                reason="Ingestion took too long (over 14 minutes); gave up.",
            )
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            if run is not None:
                ingestion.document_fail(
                    document_id=document_id,
                    run=run,
                    reason=f"Ingestion kept failing ({type(error).__name__}: {error}); gave up.",
                )
            return
        raise self.retry(exc=error, countdown=min(300, 5 * 2**self.request.retries)) from error


@shared_task(
    bind=True,
    queue="ingest",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=4,
    soft_time_limit=840,
    time_limit=900,
)
def ingest_documents(self, document_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Ingest a batch of small documents together (see retrieval.bulk)."""
    try:
        outcome = bulk.documents_ingest(document_ids=document_ids)
    except SoftTimeLimitExceeded:
        # Each gets a task, and so a time limit, of its own; the claims there stop this run.
        unfinished = list(
            Document.objects.filter(
                pk__in=document_ids, status__in=[Document.Status.QUEUED, Document.Status.PROCESSING]
            ).values_list("pk", flat=True)
        )
        for document_id in unfinished:
            ingest_document.delay(document_id)
        return
    except TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            # The reconciler re-queues them one by one.
            return
        raise self.retry(exc=error, countdown=min(300, 5 * 2**self.request.retries)) from error
    for document_id in outcome.alone:
        ingest_document.delay(document_id)


@shared_task(queue="default", time_limit=120, soft_time_limit=100)
def reconcile_documents() -> list[int]:
    """Re-queue documents stuck in queued/processing for longer than RETRIEVAL_RECONCILE_AFTER."""
    return services.documents_requeue_stuck(older_than=timedelta(seconds=config().reconcile_after))


# Any fixed key: two syncs at once would race to build the same index.
PARTIAL_INDEXES_LOCK = 0x7061727469616C


@shared_task(queue="ingest", time_limit=3600, soft_time_limit=3540)
def sync_partial_indexes() -> dict[str, list[str]]:
    """Create the partial HNSW indexes large access sets need, drop those no longer needed.

    On the ingest queue: an index build over a large group is as heavy as ingestion. A sync that
    finds another one running does nothing.
    """
    from django.db import connection

    from retrieval.partial_indexes import partial_indexes_sync

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [PARTIAL_INDEXES_LOCK])
        if not cursor.fetchone()[0]:
            return {"created": [], "dropped": [], "skipped": ["another sync is running"]}
        try:
            report = partial_indexes_sync()
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [PARTIAL_INDEXES_LOCK])
    return {"created": report.created, "dropped": report.dropped}
