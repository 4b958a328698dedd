"""SIGKILL the worker mid-ingestion: after a restart the document still ends ready, exactly once."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import psutil
import pytest
from django.contrib.auth.models import User

from assistant.celery import app
from retrieval import embedding
from retrieval.chunking import chunk_sections
from retrieval.conf import config
from retrieval.models import Chunk, Document
from retrieval.parsers import Section
from retrieval.services import documents_requeue_stuck
from tests.conftest import start_worker, stop_process
from tests.retrieval.conftest import upload, wait_until_finished

# Long enough for several embedding batches, so the kill lands mid-embedding even on an idle
# machine (with one batch the stage passes before the test can observe it).
TEXT = "\n\n".join(
    f"Section {i}. "
    + " ".join(f"Clause {i}.{j} of the long agreement applies here." for j in range(20))
    for i in range(120)
)


def wait_for_embedding(document: Document, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        document.refresh_from_db()
        if document.stage == "embedding" and document.progress_done > 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"never reached embedding: {document.status} {document.stage}")


@pytest.mark.django_db(transaction=True)
def test_a_document_survives_a_sigkilled_worker(tmp_path):
    # Other workers of this test run would race ours for the task: stop them consuming for now.
    app.control.cancel_consumer("ingest", reply=True)
    worker = start_worker(tmp_path / "worker.log", queues="ingest")
    restarted = None
    try:
        owner = User.objects.create_user("owner")
        document = upload("agreement.txt", TEXT.encode(), owner=owner)
        wait_for_embedding(document)

        # The whole worker at once, pool child included, as when a machine loses power.
        processes = [worker.pid, *(c.pid for c in psutil.Process(worker.pid).children(True))]
        for pid in processes:
            os.kill(pid, signal.SIGKILL)
        worker.wait(10)
        document.refresh_from_db()
        assert document.status == "processing"

        restarted = start_worker(tmp_path / "restarted.log", queues="ingest")
        # The broker would redeliver the unacknowledged task only after its visibility timeout;
        # the reconciler re-queues the stuck document long before.
        assert documents_requeue_stuck(older_than=timedelta(seconds=0)) == [document.pk]
        wait_until_finished([document], timeout=180)
    finally:
        for process in (worker, restarted):
            if process is not None:
                stop_process(process)
        app.control.add_consumer("ingest", reply=True)

    assert document.status == "ready", document.error
    expected = chunk_sections(
        [Section(TEXT)],
        max_tokens=config().chunk_tokens,
        count_tokens=embedding.count_tokens,
        split_tokens=embedding.split_tokens,
    )
    chunks = list(Chunk.objects.filter(document=document).order_by("ordinal"))
    assert [c.text for c in chunks] == [d.text for d in expected]
    assert {c.version for c in chunks} == {1}
    assert document.version == 1 and document.attempts == 2
