"""`manage.py ingest PATH... [--org-wide | --group NAME ... | --user NAME ...] [--owner NAME] [--wait]`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retrieval.models import Document
from retrieval.parsers import FORMATS
from retrieval.services import DuplicateDocument, document_create


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["org_wide"] and (options["group"] or options["user"]):
            raise CommandError("--org-wide cannot be combined with --group or --user.")
        users_model = get_user_model()
        groups = [self._get(Group, name=name) for name in options["group"]]
        users = [self._get(users_model, username=name) for name in options["user"]]
        owner = self._get(users_model, username=options["owner"]) if options["owner"] else None
        if not (options["org_wide"] or groups or users or owner):
            raise CommandError("Say who may read them: --org-wide, --group, --user or --owner.")
        files = list(_files(options["paths"]))
        if not files:
            raise CommandError("No supported files found.")
        ids: list[int] = []
        for path in tqdm(files, desc="upload", unit="file", disable=options["verbosity"] == 0):
            try:
                with path.open("rb") as handle:
                    document = document_create(
                        file=File(handle, name=path.name),
                        title=options["title"] if options["title"] and len(files) == 1 else "",
                        owner=owner,
                        org_wide=options["org_wide"],
                        groups=groups,
                        users=users,
                        actor_label="manage.py ingest",
                    )
            except DuplicateDocument as duplicate:
                tqdm.write(f"skipped {path}: {duplicate}")
                continue
            ids.append(document.pk)
        self.stdout.write(f"queued {len(ids)} document(s)")
        if options["wait"] and ids:
            self._wait(ids, options["timeout"], options["verbosity"] == 0)

    def _wait(self, ids: list[int], timeout: int, quiet: bool) -> None:
        deadline = time.monotonic() + timeout
        finished = {Document.Status.READY, Document.Status.FAILED}
        with tqdm(total=len(ids), desc="ingest", unit="doc", disable=quiet) as bar:
            while True:
                rows = Document.objects.filter(pk__in=ids).values_list("status", flat=True)
                done = sum(1 for status in rows if status in finished)
                bar.update(done - bar.n)
                if done == len(ids):
                    break
                if time.monotonic() > deadline:
                    raise CommandError(f"{len(ids) - done} document(s) still not done.")
                time.sleep(0.5)
        for document in Document.objects.filter(pk__in=ids, status=Document.Status.FAILED):
            self.stderr.write(f"failed: {document.original_filename}: {document.error}")
        ready = Document.objects.filter(pk__in=ids, status=Document.Status.READY).count()
        self.stdout.write(f"{ready} ready, {len(ids) - ready} failed")

    @staticmethod
    def _get(model: Any, **lookup: str) -> Any:
        try:
            return model.objects.get(**lookup)
        except model.DoesNotExist:
            raise CommandError(
                f"No {model.__name__.lower()} {next(iter(lookup.values()))!r}."
            ) from None


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
