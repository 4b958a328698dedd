"""The beat task creates the partial index a large access set needs, and drops it once it shrinks."""

from __future__ import annotations

import pytest
from django.db import connection

from retrieval import partial_indexes
from retrieval.access import group_principal
from retrieval.services import document_delete
from retrieval.tasks import sync_partial_indexes

pytestmark = pytest.mark.django_db(transaction=True)


def indexes() -> set[str]:
    with connection.cursor() as cursor:
        return partial_indexes.indexed_principals(cursor)


def test_a_group_over_the_threshold_gets_an_index_and_loses_it_when_gone(
    ingested, groups, monkeypatch, settings
):
    assert "retrieval-partial-indexes" in settings.CELERY_BEAT_SCHEDULE
    # Thresholds scaled down: two small documents make HR "large".
    monkeypatch.setattr(partial_indexes, "MIN_CHUNKS", 2)
    monkeypatch.setattr(partial_indexes, "MAX_SHARE", 0.7)
    hr = group_principal(groups["HR"].pk)
    text = "# Leave\n\n" + "Parental leave is sixteen weeks at full pay. " * 3
    hr_documents = [
        ingested("leave.md", text.encode(), groups=[groups["HR"]]),
        ingested("pay.md", text.replace("Leave", "Pay").encode(), groups=[groups["HR"]]),
    ]
    ingested("wiki.md", b"# Wiki\n\nThe office opens at eight.", org_wide=True)

    report = sync_partial_indexes.apply().get()

    assert hr in report["created"] and hr in indexes()
    for document in hr_documents:
        document_delete(document=document)
    again = sync_partial_indexes.apply().get()
    assert hr in again["dropped"] and hr not in indexes()
