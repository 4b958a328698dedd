"""Queues retrieval's tasks once the current transaction commits, by their registered names.

Tasks call the services, and the services queue tasks. Reaching a task through Celery's registry
by its name, rather than importing retrieval.tasks, keeps the two from importing each other; the
tasks module declares its tasks under these same names.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction

INGEST_DOCUMENT = "retrieval.tasks.ingest_document"


def registered_task(name: str) -> Any:
    """The Celery task registered under `name`, importing the task modules if not done yet."""
    if name not in current_app.tasks:
        # Only a worker imports every task module at start-up; a web or command process does the
        # same the first time it sends a task by name.
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def ingest_document_enqueue(*, document_id: int) -> None:
    """Queue the ingestion of a document once the current transaction commits."""
    # After commit: the worker must never look for a row it cannot see yet.
    transaction.on_commit(lambda: registered_task(INGEST_DOCUMENT).delay(document_id))
