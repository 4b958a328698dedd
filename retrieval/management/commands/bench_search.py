"""`manage.py bench_search --queries FILE [--pad-to N] [--count N] [--json OUT]`."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retrieval import benchmark
from retrieval.conf import use_reranker
from retrieval.evaluation import load_queries
from retrieval.models import Chunk
from retrieval.rerank import RerankerError


class Command(BaseCommand):
    help = (
        "Measure search latency (embedding the query + SQL) at a corpus size, padding the "
        "database with synthetic documents first when it holds fewer chunks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queries", type=Path, required=True, help="BEIR queries.jsonl")
        parser.add_argument(
            "--pad-to", type=int, default=0, help="add synthetic documents up to this many chunks"
        )
        parser.add_argument("--count", type=int, default=300, help="queries to time per reader")
        parser.add_argument("--k", type=int, default=8, help="passages per search")
        parser.add_argument("--json", type=Path, help="write the figures to this file")
        parser.add_argument(
            "--reranker",
            help="second stage to time: off, default (the shipped model) or a model folder "
            "(default: RETRIEVAL_RERANKER); the first stage alone is timed beside it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["queries"].is_file():
            raise CommandError(f"--queries {options['queries']} is not a file.")
        quiet = options["verbosity"] == 0
        try:
            use_reranker(options["reranker"])
        except RerankerError as error:
            raise CommandError(str(error)) from None

        def progress(items: Iterable[Any], desc: str, total: int) -> Iterable[Any]:
            return tqdm(items, desc=desc, total=total, disable=quiet, leave=False)

        queries = list(load_queries(options["queries"]).values())[: options["count"]]
        if not queries:
            raise CommandError("The queries file holds no query.")
        try:
            added = benchmark.pad_corpus(options["pad_to"], progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        readers = benchmark.bench_readers(benchmark.bench_groups())
        results: dict[str, Any] = {
            "chunks": Chunk.objects.count(),
            "synthetic_chunks_added": added,
            "queries": len(queries),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_before": os.getloadavg()[0],
        }
        for name, reader in (
            ("everything", readers.everything),
            ("one_group", readers.one_group),
            ("two_groups", readers.two_groups),
        ):
            results[name] = benchmark.measure(
                reader, queries, k=options["k"], warmup=10, progress=progress, label=name
            )
        results["latency_ms_p50"] = results["everything"]["search_ms"]["p50"]
        results["latency_ms_p95"] = results["everything"]["search_ms"]["p95"]
        if "rerank_added_ms" in results["everything"]:
            results["rerank_added_ms_p95"] = results["everything"]["rerank_added_ms"]["p95"]
        self.stdout.write(json.dumps(results, indent=2))
        if options["json"]:
            options["json"].parent.mkdir(parents=True, exist_ok=True)
            options["json"].write_text(json.dumps(results, indent=2) + "\n")
