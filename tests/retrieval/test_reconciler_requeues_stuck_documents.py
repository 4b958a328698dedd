from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from retrieval import tasks
from retrieval.models import Document
from retrieval.services import documents_requeue_stuck
from tests.retrieval.conftest import upload

pytestmark = pytest.mark.django_db


def test_documents_stuck_longer_than_the_timeout_are_queued_again(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.ingest_document, "delay", queued.append)
    stuck = upload("stuck.md", b"stuck", owner=alice)
    fresh = upload("fresh.md", b"fresh", owner=alice)
    done = upload("done.md", b"done", owner=alice)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Document.objects.filter(pk=stuck.pk).update(status="processing", updated_at=an_hour_ago)
    Document.objects.filter(pk=done.pk).update(status="ready", updated_at=an_hour_ago)

    with django_capture_on_commit_callbacks(execute=True):
        requeued = documents_requeue_stuck(older_than=timedelta(minutes=30))

    assert requeued == [stuck.pk]
    assert queued == [stuck.pk]
    assert fresh.pk not in queued
    stuck.refresh_from_db()
    assert stuck.updated_at > an_hour_ago


def test_a_document_interrupted_too_often_ends_failed_instead_of_looping(alice, monkeypatch):
    from retrieval.ingestion import document_ingest

    document = upload("poison.md", b"# Poison", owner=alice, enqueue=False)
    Document.objects.filter(pk=document.pk).update(status="processing", attempts=3)

    document_ingest(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == "failed"
    assert "interrupted 3 times" in document.error
