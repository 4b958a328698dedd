"""`manage.py ingest PATH... [--org-wide | --group NAME ... | --user NAME ...] [--owner NAME]
[--wait | --in-process] [--batch N] [--retry-failed]`.

Small files are ingested several per task and per transaction (retrieval.bulk): queued for the
workers, or with `--in-process` ingested by this command itself, batch after batch.

Resumable: documents are deduplicated by the sha256 of their bytes, so running the same command
again after a crash or Ctrl-C skips the files already stored and ready, takes up again those an
earlier run left queued or half-done (or that were given up after repeated interruptions), and
reports those that failed (`--retry-failed` tries them again). Nothing is stored twice.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from tqdm import tqdm

from retrieval import bulk, embedding, ingestion
from retrieval.models import Document
from retrieval.parsers import FORMATS
from retrieval.services import DuplicateDocument, document_create, document_reindex

RESUME_HINT = "Run the same command again to resume: files already stored are skipped."
EXIT_INTERRUPTED = 130

# A batch's ids and the batch parsed ahead (None: ingested alone).
Parsed = tuple[list[int], "bulk.ParsedBatch | None"]


@dataclass
class Tally:
    """What became of the files of one run of the command."""

    files: int
    ingested: int = 0
    chunks: int = 0
    already: int = 0
    duplicates: int = 0
    queued: int = 0
    # (path, reason): failed in this run, or earlier and left alone.
    failed: list[tuple[Path, str]] = field(default_factory=list)
    failed_before: list[tuple[Path, str]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def rate(self) -> str:
        """Documents and chunks per second since the start."""
        seconds = max(time.perf_counter() - self.started, 1e-9)
        return (
            f"{seconds:.1f} s, {self.ingested / seconds:.2f} documents/s, "
            f"{self.chunks / seconds:.1f} chunks/s"
        )


class StopRequest:
    """Ctrl-C asks the run to stop at the next safe point; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.asked = False

    def __call__(self) -> bool:
        return self.asked

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The SIGINT handler."""
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        tqdm.write("Stopping after the current step (Ctrl-C again to stop at once)…")


class Command(BaseCommand):
    help = "Upload files (and the supported files inside folders) for ingestion."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files or folders")
        parser.add_argument("--org-wide", action="store_true", help="everyone may read them")
        parser.add_argument("--group", action="append", default=[], help="a group that may read")
        parser.add_argument("--user", action="append", default=[], help="a user who may read")
        parser.add_argument("--owner", help="username of the owner (who may always read)")
        parser.add_argument("--title", help="title, for a single file")
        parser.add_argument("--wait", action="store_true", help="wait until all are done")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to --wait")
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="ingest here instead of in the workers (implies --wait)",
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=bulk.BATCH_DOCUMENTS,
            help=f"small documents per batch (default {bulk.BATCH_DOCUMENTS})",
        )
        parser.add_argument(
            "--retry-failed", action="store_true", help="try documents that failed earlier again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["org_wide"] and (options["group"] or options["user"]):
            raise CommandError("--org-wide cannot be combined with --group or --user.")
        if options["batch"] < 1:
            raise CommandError("--batch must be 1 or more.")
        users_model = get_user_model()
        groups = [self._get(Group, name=name) for name in options["group"]]
        users = [self._get(users_model, username=name) for name in options["user"]]
        owner = self._get(users_model, username=options["owner"]) if options["owner"] else None
        if not (options["org_wide"] or groups or users or owner):
            raise CommandError("Say who may read them: --org-wide, --group, --user or --owner.")
        files = list(_files(options["paths"]))
        if not files:
            raise CommandError("No supported files found.")
        self.access: dict[str, Any] = {
            "owner": owner,
            "org_wide": options["org_wide"],
            "groups": groups,
            "users": users,
        }
        self.options = options
        self.quiet = options["verbosity"] == 0
        self.stop = StopRequest()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, self.stop.handle)
        try:
            self._run(files)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _run(self, files: list[Path]) -> None:
        in_process = self.options["in_process"]
        if in_process:
            # Loading the embedder (seconds) is not ingestion: it happens before the clock starts.
            embedding.embed_texts(["warm up"])
            embedding.count_tokens(["warm up"])
        tally = Tally(files=len(files))
        self.paths: dict[int, Path] = {}
        queued: list[int] = []
        groups = list(_groups(files, self.options["batch"]))
        bar = tqdm(
            total=len(files),
            desc="ingest" if in_process else "upload",
            unit="file",
            disable=self.quiet,
            smoothing=0.05,
        )
        try:
            with bar:
                if in_process:
                    self._ingest_all(groups, tally, bar)
                else:
                    for group in groups:
                        pending = self._upload(group, tally, bar)
                        for ids in bulk.batches(pending, size=self.options["batch"]):
                            _enqueue(ids)
                            queued.extend(ids)
                            tally.queued += len(ids)
                        bar.update(len(pending))
                        if self.stop():
                            raise bulk.Interrupted
            if queued and self.options["wait"]:
                self._wait(queued, tally)
        except (bulk.Interrupted, KeyboardInterrupt):
            self._summary(tally)
            if queued:
                self.stderr.write("Interrupted; the workers carry on with what was queued.")
            else:
                self.stderr.write("Interrupted.")
            self.stderr.write(RESUME_HINT)
            raise SystemExit(EXIT_INTERRUPTED) from None
        self._summary(tally)

    def _ingest_all(self, groups: list[list[Path]], tally: Tally, bar: tqdm[Any]) -> None:
        """Ingest here, group after group: the next group is uploaded and parsed in a thread
        while this one is chunked, embedded and stored, so the embedder does not wait for the
        parser's child processes."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-parse") as pool:
            ahead: Future[list[Parsed]] | None = None
            try:
                for number in range(len(groups)):
                    if ahead is None:
                        ahead = pool.submit(self._upload_and_parse, groups[number], tally, bar)
                    current = ahead.result()
                    ahead = None
                    if number + 1 < len(groups) and not self.stop():
                        ahead = pool.submit(self._upload_and_parse, groups[number + 1], tally, bar)
                    for ids, parsed in current:
                        self._finish(ids, parsed, tally)
                        bar.update(len(ids))
                        bar.set_postfix_str(f"{tally.chunks} chunks, {tally.rate()}")
                    if self.stop():
                        raise bulk.Interrupted
            finally:
                if ahead is not None:
                    # The thread is on the next group: stop it, and give back what it claimed.
                    self.stop.asked = True
                    try:
                        leftover = ahead.result()
                    except bulk.Interrupted:
                        leftover = []  # it gave its claims back itself
                    for _, parsed in leftover:
                        if parsed is not None:
                            bulk.documents_release(documents=parsed.claimed)

    def _upload_and_parse(self, files: list[Path], tally: Tally, bar: tqdm[Any]) -> list[Parsed]:
        """Upload a group and parse its batches (in the worker thread of `_ingest_all`)."""
        try:
            pending = self._upload(files, tally, bar)
            parsed: list[Parsed] = []
            for ids in bulk.batches(pending, size=self.options["batch"]):
                if len(ids) == 1:
                    # Large (or last) documents go alone, with their own progress.
                    parsed.append((ids, None))
                else:
                    parsed.append((ids, bulk.batch_parse(document_ids=ids, should_stop=self.stop)))
            return parsed
        finally:
            # This thread's own database connection.
            connection.close()

    def _finish(self, ids: list[int], parsed: bulk.ParsedBatch | None, tally: Tally) -> None:
        """Finish a parsed batch here; the large or earlier-interrupted ones one by one."""
        if parsed is None:
            parsed = bulk.batch_parse(document_ids=ids, should_stop=self.stop)
        outcome = bulk.batch_finish(parsed, should_stop=self.stop)
        for document_id in outcome.alone:
            if self.stop():
                raise bulk.Interrupted
            # A batch of one: the same failure handling, without the neighbours.
            single = bulk.documents_ingest(document_ids=[document_id], should_stop=self.stop)
            outcome.ready += single.ready
            outcome.failed.update(single.failed)
            outcome.chunks += single.chunks
        tally.ingested += len(outcome.ready)
        tally.chunks += outcome.chunks
        tally.failed.extend((self.paths[i], reason) for i, reason in outcome.failed.items())

    def _upload(self, files: list[Path], tally: Tally, bar: tqdm[Any]) -> list[tuple[int, int]]:
        """Store the files not stored yet; (id, size) of every document that needs ingesting."""
        pending: list[tuple[int, int]] = []
        for path in files:
            if self.stop():
                break
            document = self._document_for(path, tally)
            if document is None:
                bar.update(1)
                continue
            self.paths[document.pk] = path
            pending.append((document.pk, document.size))
        return pending

    def _document_for(self, path: Path, tally: Tally) -> Document | None:
        """The document to ingest for a file, new or left unfinished earlier; None to skip it."""
        title = self.options["title"] if self.options["title"] and tally.files == 1 else ""
        try:
            with path.open("rb") as handle:
                return document_create(
                    file=File(handle, name=path.name),
                    title=title,
                    enqueue=False,
                    actor_label="manage.py ingest",
                    **self.access,
                )
        except DuplicateDocument as duplicate:
            existing = duplicate.existing
        if existing.pk in self.paths:
            tally.duplicates += 1
            tqdm.write(f"skipped {path}: the same bytes as {self.paths[existing.pk]}")
            return None
        if existing.status == Document.Status.READY:
            tally.already += 1
            return None
        if existing.status == Document.Status.FAILED:
            if not (
                self.options["retry_failed"] or existing.error.startswith(ingestion.INTERRUPTED)
            ):
                tally.failed_before.append((path, existing.error))
                return None
            existing = document_reindex(document=existing, enqueue=False)
        return existing

    def _wait(self, ids: list[int], tally: Tally) -> None:
        deadline = time.monotonic() + self.options["timeout"]
        finished = {Document.Status.READY, Document.Status.FAILED}
        with tqdm(total=len(ids), desc="ingest", unit="doc", disable=self.quiet) as bar:
            while True:
                rows = Document.objects.filter(pk__in=ids).values_list("status", flat=True)
                done = sum(1 for status in rows if status in finished)
                bar.update(done - bar.n)
                if done == len(ids):
                    break
                if time.monotonic() > deadline:
                    raise CommandError(f"{len(ids) - done} document(s) still not done.")
                if self.stop():
                    raise bulk.Interrupted
                time.sleep(0.5)
        for document in Document.objects.filter(pk__in=ids):
            if document.status == Document.Status.READY:
                tally.ingested += 1
                tally.chunks += document.chunk_count
            else:
                tally.failed.append((self.paths[document.pk], document.error))

    def _summary(self, tally: Tally) -> None:
        for path, reason in tally.failed:
            self.stderr.write(f"failed: {path}: {reason}")
        parts = [f"{tally.ingested} ingested ({tally.chunks} chunks)"]
        if tally.queued and not tally.ingested:
            parts = [f"{tally.queued} queued"]
        parts.append(f"{tally.already} already stored")
        if tally.duplicates:
            parts.append(f"{tally.duplicates} duplicate(s) of another file")
        parts.append(f"{len(tally.failed)} failed")
        if tally.failed_before:
            parts.append(
                f"{len(tally.failed_before)} failed earlier (--retry-failed tries them again)"
            )
        self.stdout.write(f"{tally.files} file(s): " + ", ".join(parts))
        if tally.ingested:
            self.stdout.write(f"ingestion: {tally.rate()}")

    @staticmethod
    def _get(model: Any, **lookup: str) -> Any:
        try:
            return model.objects.get(**lookup)
        except model.DoesNotExist:
            raise CommandError(
                f"No {model.__name__.lower()} {next(iter(lookup.values()))!r}."
            ) from None


def _enqueue(ids: list[int]) -> None:
    from retrieval.tasks import ingest_document, ingest_documents

    # At once when the command runs on its own (autocommit); never before the rows are visible.
    if len(ids) == 1:
        transaction.on_commit(lambda: ingest_document.delay(ids[0]))
    else:
        transaction.on_commit(lambda: ingest_documents.delay(ids))


def _groups(files: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(files), size):
        yield files[start : start + size]


def _files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in FORMATS)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{path} does not exist.")
    return found
