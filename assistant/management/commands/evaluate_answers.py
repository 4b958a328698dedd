"""Evaluate answers end to end on an enterprise-format corpus and question set."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.evaluation import evaluate_answers
from retrieval.conf import use_reranker
from retrieval.enterprise import evaluate_ranking
from retrieval.rerank import RerankerError


class Command(BaseCommand):
    help = "Ingest company folders and ask each question as a member of that company only."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--corpus", required=True, type=Path, help="folder with one folder per company"
        )
        parser.add_argument("--queries", required=True, type=Path, help="queries.jsonl")
        parser.add_argument("--form", default="md", choices=["md", "html", "docx", "pdf", "pptx"])
        parser.add_argument(
            "--limit", type=int, default=0, help="ask an even spread of N questions (0: all)"
        )
        parser.add_argument(
            "--json", type=Path, dest="json_out", help="also write the figures here"
        )
        parser.add_argument(
            "--retrieval-only",
            action="store_true",
            help="no model: rank each question's passages and report hit@1, hit@5 and MRR@10",
        )
        parser.add_argument(
            "--details",
            type=Path,
            help="write one JSON line per question (answer, cited files; with --retrieval-only "
            "the top five passages of each stage)",
        )
        parser.add_argument(
            "--reranker",
            help="second stage: off, default (the shipped model) or a model folder "
            "(default: RETRIEVAL_RERANKER); --retrieval-only reports with and without it",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=1,
            help="ask N questions at once (same answers; times are then measured under that load)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        corpus, queries = options["corpus"], options["queries"]
        if not corpus.is_dir():
            raise CommandError(f"--corpus {corpus} is not a folder")
        if not queries.is_file():
            raise CommandError(f"--queries {queries} is not a file")
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")

        def progress(line: str) -> None:
            self.stderr.write(line)

        try:
            reranker = use_reranker(options["reranker"])
        except RerankerError as error:
            raise CommandError(str(error)) from None
        evaluate = (
            functools.partial(evaluate_ranking, reranker=reranker, details=options["details"])
            if options["retrieval_only"]
            else functools.partial(
                evaluate_answers,
                details=options["details"],
                concurrency=options["concurrency"],
            )
        )
        figures = evaluate(
            corpus=corpus,
            queries=queries,
            form=options["form"],
            limit=options["limit"],
            progress=progress,
        )
        for key, value in figures.items():
            if isinstance(value, dict):
                self.stdout.write(f"{key}:")
                for name, figure in value.items():
                    self.stdout.write(f"{name:>28}: {figure}")
            else:
                self.stdout.write(f"{key:>20}: {value}")
        if options["json_out"]:
            options["json_out"].write_text(json.dumps(figures, indent=2))
