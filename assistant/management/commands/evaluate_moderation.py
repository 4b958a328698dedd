"""``manage.py evaluate_moderation``: moderation figures on a public data set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from moderation.evaluation import FORMAT_NAMES, SPLITS, evaluate, format_report


class Command(BaseCommand):
    help = (
        "Evaluate moderation on a data set: AUPRC, recall at 5% FPR, F1, XSTest rates, latency; "
        "for the workplace set (a file or its folder), blocked and flagged rates of legitimate "
        "and harmful items by domain, language and kind; for documents (an enterprise corpus folder), "
        "clean and injected sections dropped at the context stage by position and instruction kind; "
        "for passages (a folder of e-mails, spreadsheets, slides, PDFs, Word and web files), each "
        "passage clean and with an inserted instruction, dropped or quoted, per document."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dataset",
            type=Path,
            required=True,
            help="a file (workplace: or folder; documents: a corpus folder; passages: a folder)",
        )
        parser.add_argument("--format", choices=sorted(FORMAT_NAMES), required=True)
        parser.add_argument("--split", choices=SPLITS, default="held-out")
        parser.add_argument("--limit", type=int, default=None)
        parser.add_argument("--json", type=Path, default=None, help="write the figures here")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = evaluate(
                options["dataset"],
                options["format"],
                split=options["split"],
                limit=options["limit"],
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(format_report(result))
        if options["json"]:
            # call_command passes optional arguments through as given, so coerce here.
            Path(options["json"]).write_text(json.dumps(result, indent=2) + "\n")
