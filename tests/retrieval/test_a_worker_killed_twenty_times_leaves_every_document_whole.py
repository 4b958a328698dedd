"""SIGKILL the ingest worker at random moments, 20 times, during a batch: every document ends whole.

Each document ends `ready` or `failed` with a reason, never stuck; its chunks are exactly those of
its current version, with their lexemes, and the BM25 statistics add up. The kill delays come from a
seeded random.Random: a failure prints its seed, and INGEST_CHAOS_SEED=<seed> replays the same
schedule (the timing of the machine still varies).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from subprocess import STDOUT, Popen

import psutil
import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from assistant.celery import app
from retrieval.models import Chunk, ChunkTerms, CorpusStatistic, Document
from retrieval.services import documents_requeue_stuck
from tests.conftest import ROOT, SHARED, child_env, stop_process
from tests.retrieval.conftest import FINISHED, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

KILLS = 20
GENERATED_DOCUMENTS = 28
# How long after a claim the kill may land: a few embedding batches of the larger documents.
MAX_KILL_DELAY = 1.5
# The share of kills that wait for the worker to have loaded its model first.
WARM_KILLS = 0.5
# The reconciler's RETRIEVAL_RECONCILE_AFTER for this test: a stuck document waits this long.
RECONCILE_AFTER = timedelta(seconds=2)
SHARED_DOCUMENTS = ["simple-table.md", "codeblock.md", "language-docs/eng_spa_mult.md"]

WORDS = [
    "leave",
    "policy",
    "travel",
    "expense",
    "hotel",
    "contract",
    "invoice",
    "payroll",
    "benefit",
    "pension",
    "audit",
    "review",
    "security",
    "laptop",
    "password",
    "office",
    "holiday",
    "training",
    "budget",
    "supplier",
    "warranty",
    "customer",
]


def generated_documents(rng: random.Random) -> list[tuple[str, bytes]]:
    """Markdown and text files, mostly one or two chunks, a few long enough for several batches."""
    files = []
    for n in range(GENERATED_DOCUMENTS):
        sections = rng.choice([1, 1, 2, 3, 8]) if n % 7 else 16
        parts = []
        for s in range(sections):
            sentence = " ".join(rng.choice(WORDS) for _ in range(12))
            body = f"Paragraph {s} of document {n}: {sentence}. " * rng.randint(2, 8)
            parts.append(f"## Section {s}\n\n{body}" if n % 2 else body)
        suffix = ".md" if n % 2 else ".txt"
        files.append((f"doc-{n:02d}{suffix}", "\n\n".join(parts).encode()))
    return files


def start_ingest_worker(log_path: Path) -> Popen[bytes]:
    """A real ingest worker in a process group of its own, so one signal reaches all of it."""
    # Without mingle and gossip (nothing to sync with) a restart takes a second less.
    return Popen(
        [
            sys.executable, "-m", "celery", "-A", "assistant", "worker", "-Q", "ingest",
            "--concurrency", "1", "--pool", "prefork", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip",
            "--hostname", f"chaos-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT, env=child_env(), stdout=log_path.open("ab"), stderr=STDOUT,
        start_new_session=True,
    )  # fmt: skip


def kill_worker(worker: Popen[bytes]) -> None:
    """SIGKILL the worker's whole process group at once, as when a machine loses power."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)
    # The pool child is not ours to wait for; it must be gone before the next worker starts.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(running, group_members(worker.pid))):
        time.sleep(0.05)


def group_members(pgid: int) -> list[psutil.Process]:
    """The processes of a group; one that exits while the list is read is left out (psutil
    lists it, then os.getpgid finds no such process: ProcessLookupError, not a psutil.Error)."""
    members = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(process.pid) == pgid:
                members.append(process)
    return members


def running(process: psutil.Process) -> bool:
    """Whether a process is still there and not a zombie (it may exit while we ask)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def runs_so_far(ids: list[int]) -> int:
    return Document.objects.filter(pk__in=ids).aggregate(n=Sum("run"))["n"] or 0


def wait_for_a_claim(ids: list[int], after: int, worker: Popen[bytes], log_path: Path) -> None:
    """Until the worker claims one of the documents (or nothing is left to claim)."""
    deadline = time.monotonic() + 60
    if not unfinished(ids):
        return
    while time.monotonic() < deadline and runs_so_far(ids) == after:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited with {worker.returncode}; see {log_path}")
        time.sleep(0.05)


def wait_until_warm(ids: list[int], since: datetime) -> None:
    """Until a document claimed since `since` got past chunking: the model is loaded."""
    warm = Document.objects.filter(
        pk__in=ids, started_at__gte=since, stage__in=["embedding", "indexing", "done"]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not warm.exists():
        time.sleep(0.05)


def stage_of_latest_run(ids: list[int]) -> str:
    """Where the document claimed last stood when the worker died."""
    latest = (
        Document.objects.filter(pk__in=ids, started_at__isnull=False)
        .order_by("-started_at")
        .first()
    )
    return f"{latest.status}/{latest.stage}" if latest else "none"


def unfinished(ids: list[int]) -> list[int]:
    return list(
        Document.objects.filter(pk__in=ids)
        .exclude(status__in=FINISHED)
        .values_list("pk", flat=True)
    )


def test_a_worker_killed_twenty_times_leaves_every_document_whole(alice, tmp_path: Path):
    seed = int(os.environ.get("INGEST_CHAOS_SEED") or random.randrange(2**32))
    print(f"INGEST_CHAOS_SEED={seed}")
    rng = random.Random(seed)
    files = generated_documents(rng)
    files += [
        (name, (SHARED / "eval" / "documents" / name).read_bytes()) for name in SHARED_DOCUMENTS
    ]

    # Other workers of this test run would race ours for the tasks: stop them consuming for now.
    app.control.cancel_consumer("ingest", reply=True)
    worker = None
    killed_in: list[str] = []
    started = time.monotonic()
    try:
        documents = [upload(Path(name).name, data, owner=alice) for name, data in files]
        ids = [d.pk for d in documents]
        for kill in range(KILLS):
            before = runs_so_far(ids)
            log_path = tmp_path / f"worker-{kill}.log"
            round_start = timezone.now()
            worker = start_ingest_worker(log_path)
            # The tasks the last kill took with it come back through the reconciler.
            documents_requeue_stuck(older_than=RECONCILE_AFTER)
            wait_for_a_claim(ids, before, worker, log_path)
            # A fresh worker spends seconds loading the embedding model: most kills wait for it,
            # so they land in every stage, not only during the load.
            if rng.random() < WARM_KILLS:
                wait_until_warm(ids, round_start)
            time.sleep(rng.uniform(0, MAX_KILL_DELAY))
            kill_worker(worker)
            killed_in.append(stage_of_latest_run(ids))
            worker = None

        print(f"killed during: {Counter(killed_in)} after {time.monotonic() - started:.0f} s")
        worker = start_ingest_worker(tmp_path / "worker-last.log")
        deadline = time.monotonic() + 150
        while unfinished(ids) and time.monotonic() < deadline:
            documents_requeue_stuck(older_than=RECONCILE_AFTER)
            time.sleep(2)
    finally:
        if worker is not None:
            stop_process(worker)
            kill_worker(worker)
        app.control.add_consumer("ingest", reply=True)
    print(f"{KILLS} kills, {len(ids)} documents, {time.monotonic() - started:.0f} s")

    replay = f"(replay with INGEST_CHAOS_SEED={seed})"
    assert unfinished(ids) == [], replay
    outcomes = dict(Document.objects.values_list("original_filename", "status"))
    print("outcomes:", {s: list(outcomes.values()).count(s) for s in FINISHED})
    for document in Document.objects.all():
        assert document.status == "ready" or document.error.strip(), (document.pk, replay)
        chunks = Chunk.objects.filter(document=document)
        assert {c.version for c in chunks} <= {document.version}, (document.pk, replay)
        ordinals = sorted(chunks.values_list("ordinal", flat=True))
        assert ordinals == list(range(document.chunk_count)), (document.pk, replay)
        terms = ChunkTerms.objects.filter(document=document, chunk__document=document)
        assert terms.count() == document.chunk_count, (document.pk, replay)
        if document.status == "ready":
            assert document.chunk_count > 0, (document.pk, replay)

    assert_no_orphans(replay)
    assert_statistics_add_up(replay)


def assert_no_orphans(replay: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT
              (SELECT count(*) FROM retrieval_chunk c
                 LEFT JOIN retrieval_document d ON d.id = c.document_id
                 WHERE d.id IS NULL OR c.version <> d.version),
              (SELECT count(*) FROM retrieval_chunkterms t
                 LEFT JOIN retrieval_chunk c ON c.id = t.chunk_id
                 WHERE c.id IS NULL OR c.document_id <> t.document_id),
              (SELECT count(*) FROM (SELECT document_id, ordinal FROM retrieval_chunk
                 GROUP BY document_id, ordinal HAVING count(*) > 1) dup)
            """
        )
        assert cursor.fetchone() == (0, 0, 0), replay


def assert_statistics_add_up(replay: str) -> None:
    """The incrementally kept BM25 statistics equal a count from scratch."""
    totals = ChunkTerms.objects.aggregate(
        chunks=Count("pk"), documents=Count("document", distinct=True), lexemes=Sum("lexeme_count")
    )
    corpus = CorpusStatistic.objects.filter(pk=1).first()
    kept = (corpus.chunk_count, corpus.document_count, corpus.lexeme_total) if corpus else (0, 0, 0)
    assert kept == (totals["chunks"], totals["documents"], totals["lexemes"] or 0), replay
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH counted AS (
                SELECT u.lexeme, count(*) AS chunks, count(DISTINCT t.document_id) AS documents
                FROM retrieval_chunkterms t, unnest(t.lexemes) u
                GROUP BY u.lexeme
            )
            SELECT count(*) FROM counted c
            FULL JOIN retrieval_lexemestatistic s ON s.lexeme = c.lexeme
            WHERE c.lexeme IS NULL OR s.lexeme IS NULL
               OR c.chunks <> s.chunk_count OR c.documents <> s.document_count
            """
        )
        assert cursor.fetchone() == (0,), replay
