"""`manage.py evaluate_retrieval --corpus FILE --queries FILE --qrels FILE [--json OUT] [--filtered]`."""

from __future__ import annotations

import json
import platform
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from retrieval import evaluation
from retrieval.conf import config, use_reranker
from retrieval.ingestion import embedding_text
from retrieval.models import Chunk, Document
from retrieval.rerank import RerankerError


class Command(BaseCommand):
    help = "Measure retrieval quality and speed on a BEIR-format data set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", type=Path, required=True, help="corpus.jsonl")
        parser.add_argument("--queries", type=Path, required=True, help="queries.jsonl")
        parser.add_argument("--qrels", type=Path, required=True, help="qrels TSV with a header")
        parser.add_argument("--json", type=Path, help="write the figures to this file")
        parser.add_argument(
            "--filtered",
            action="store_true",
            help=f"also spread documents over {evaluation.FILTER_GROUPS} groups and measure "
            "recall@10 of filtered search against exact filtered search",
        )
        parser.add_argument("--limit-queries", type=int, help="evaluate only this many queries")
        parser.add_argument(
            "--reranker",
            help="second stage to compare with the first: off, default (the shipped model) or a "
            "model folder (default: RETRIEVAL_RERANKER)",
        )
        parser.add_argument(
            "--single-methods",
            action="store_true",
            help="also rank with dense search alone and with BM25 alone, for comparison",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("corpus", "queries", "qrels"):
            if not options[name].is_file():
                raise CommandError(f"--{name} {options[name]} is not a file.")
        quiet = options["verbosity"] == 0
        try:
            reranker = use_reranker(options["reranker"])
        except RerankerError as error:
            raise CommandError(str(error)) from None

        def progress(items: Iterable[Any], desc: str, total: int) -> Iterable[Any]:
            return tqdm(items, desc=desc, total=total, disable=quiet, leave=False)

        dataset = evaluation.load_beir(options["corpus"], options["queries"], options["qrels"])
        query_ids = [q for q in dataset.queries if q in dataset.qrels]
        if options["limit_queries"]:
            query_ids = query_ids[: options["limit_queries"]]
        if not query_ids:
            raise CommandError("No query has relevance judgements.")
        others = Document.objects.filter(org_wide=True).count()
        if others:
            self.stderr.write(
                f"warning: {others} org-wide document(s) in this database take part in the ranking"
            )

        owner, reader, group = evaluation.evaluation_people()
        mapping, report = evaluation.ingest_corpus(
            dataset, owner=owner, group=group, progress=progress
        )
        evaluation.set_access(mapping, owner=owner, groups=[group], progress=progress)
        chunks = Chunk.objects.filter(document_id__in=list(mapping)).count()
        results: dict[str, Any] = {
            "documents": report.documents,
            "chunks": chunks,
            "queries": len(query_ids),
        }
        if report.chunks:
            sample = [
                embedding_text(c.document.title, c)  # type: ignore[arg-type]
                for c in Chunk.objects.filter(document_id__in=list(mapping))
                .select_related("document")
                .order_by("?")[:512]
            ]
            results |= {
                "ingested_documents": report.documents - report.reused,
                "ingested_chunks": report.chunks,
                "ingest_chunks_per_s": report.chunks / report.seconds,
                "ingest_embedding_share": report.embed_seconds / report.seconds,
                "embedder_chunks_per_s": evaluation.embedder_throughput(sample),
            }
        results |= evaluation.evaluate_quality(
            dataset,
            mapping,
            reader=reader,
            query_ids=query_ids,
            progress=progress,
            reranker=reranker,
        )
        if options["single_methods"]:
            results |= evaluation.evaluate_single_methods(
                dataset, mapping, reader=reader, query_ids=query_ids, progress=progress
            )
        if options["filtered"]:
            groups = [
                Group.objects.get_or_create(name=f"{evaluation.GROUP}-{i:03d}")[0]
                for i in range(evaluation.FILTER_GROUPS)
            ]
            evaluation.set_access(mapping, owner=owner, groups=groups, progress=progress)
            reader.groups.set([groups[0]])
            visible = Chunk.objects.filter(
                document_id__in=list(mapping), principals__contains=[f"g:{groups[0].pk}"]
            ).count()
            sample_ids = random.Random(0).sample(query_ids, min(len(query_ids), 300))
            results["filtered_visible_share"] = visible / max(chunks, 1)
            results |= evaluation.evaluate_filtered(
                dataset, reader=reader, query_ids=sample_ids, progress=progress
            )
            # Back to one group, so the next plain run measures the same thing.
            reader.groups.set([group])
            evaluation.set_access(mapping, owner=owner, groups=[group], progress=progress)
        results |= {
            "machine": f"{platform.machine()}, {_cores()} cores, {platform.python_version()}",
            "reranker": reranker,
            "rerank_candidates": config().rerank_candidates,
            "fusion": config().fusion,
            "rrf_k": config().rrf_k,
            "dense_weight": config().dense_weight,
            "bm25_k1": config().bm25_k1,
            "bm25_b": config().bm25_b,
            "chunk_tokens": config().chunk_tokens,
        }
        if report.failed:
            self.stderr.write(f"{len(report.failed)} document(s) failed: {report.failed[:5]}")
        for key, value in results.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            self.stdout.write(f"{key:32s} {shown}")
        if options["json"]:
            options["json"].write_text(json.dumps(results, indent=2) + "\n")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))
