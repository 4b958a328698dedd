"""`manage.py bench_search --queries FILE [--pad-to N] [--count N] [--json OUT] [--explain]`."""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retrieval import benchmark
from retrieval.conf import use_reranker
from retrieval.embedding import embed_query
from retrieval.evaluation import load_queries
from retrieval.models import Chunk
from retrieval.rerank import RerankerError


class Command(BaseCommand):
    help = (
        "Measure search latency (embedding the query + SQL) and filtered dense recall@10 for each "
        "reader class at a corpus size, padding the database with synthetic documents first when "
        "it holds fewer chunks."
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
        parser.add_argument(
            "--partial-indexes",
            choices=["on", "off"],
            default="on",
            help="build the partial HNSW indexes the corpus calls for (on), or drop them all to "
            "measure the full index with iterative scans alone (off)",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help="print each reader class's dense method and EXPLAIN ANALYZE plan, then stop",
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
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        try:
            pad = benchmark.pad_corpus(options["pad_to"], progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        pad_seconds = time.perf_counter() - began
        padding = {
            "synthetic_chunks_added": pad.added,
            "pad_seconds": round(pad_seconds, 1),
            "pad_chunks_per_s": round(pad.added / pad_seconds, 1) if pad.added else None,
            "pad_load_seconds": round(pad.load_seconds, 1),
            "pad_index_build_seconds": round(pad.index_seconds, 1),
            "load_average_before_pad": load_before,
            "load_average_after_pad": os.getloadavg()[0],
        }
        if pad.added:
            self.stderr.write(json.dumps(padding))
        began = time.perf_counter()
        indexed = benchmark.sync_partial_indexes(
            enabled=options["partial_indexes"] == "on", progress=progress
        )
        index_seconds = time.perf_counter() - began
        readers = benchmark.bench_readers(benchmark.bench_groups())
        if options["explain"]:
            for name, reader in readers.by_class():
                method, plan = benchmark.explain(reader, queries[0])
                self.stdout.write(f"== {name}: {method}\n{plan}\n")
            return
        results: dict[str, Any] = {
            "chunks": Chunk.objects.count(),
            **padding,
            "partial_indexes": indexed,
            "partial_index_sync_seconds": round(index_seconds, 1),
            "queries": len(queries),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_before": os.getloadavg()[0],
        }
        vectors = [embed_query(query) for query in queries]
        for name, reader in readers.by_class():
            figures = benchmark.measure(
                reader, queries, k=options["k"], warmup=10, progress=progress, label=name
            )
            figures["dense_method"] = benchmark.explain(reader, queries[0], analyze=False)[0]
            dense = benchmark.dense_recall(reader, vectors, k=10)
            figures["dense_recall_at_10"] = dense["recall"]
            figures["dense_sql_ms"] = dense["dense_sql_ms"]
            results[name] = figures
        results["latency_ms_p50"] = results["everything"]["search_ms"]["p50"]
        results["latency_ms_p95"] = results["everything"]["search_ms"]["p95"]
        if "rerank_added_ms" in results["everything"]:
            results["rerank_added_ms_p95"] = results["everything"]["rerank_added_ms"]["p95"]
        self.stdout.write(json.dumps(results, indent=2))
        if options["json"]:
            options["json"].parent.mkdir(parents=True, exist_ok=True)
            options["json"].write_text(json.dumps(results, indent=2) + "\n")
