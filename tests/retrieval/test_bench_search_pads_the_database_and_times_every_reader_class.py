"""bench_search pads with bulk COPY; the rows it adds are as consistent as an upload's."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from retrieval.benchmark import TITLE_PREFIX
from retrieval.models import AccessCount, Chunk, ChunkTerms, Document, LexemeStatistic
from retrieval.search import search

pytestmark = pytest.mark.django_db(transaction=True)

ABSTRACT = (
    "Zebrafish regenerate heart tissue after injury. Cardiomyocytes dedifferentiate and divide. "
    "The response depends on retinoic acid signalling from the endocardium. "
)


def test_padding_adds_consistent_rows_and_the_figures_are_written(ingested, alice, tmp_path):
    ingested("zebrafish.md", f"# Zebrafish\n\n{ABSTRACT}".encode(), owner=alice, org_wide=True)
    ingested(
        "mice.md", f"# Mice\n\n{ABSTRACT.replace('Zebrafish', 'Mice')}".encode(), org_wide=True
    )
    queries = tmp_path / "queries.jsonl"
    texts = ["heart regeneration in zebrafish", "retinoic acid signalling", "cardiomyocytes"]
    queries.write_text(
        "\n".join(json.dumps({"_id": str(i), "text": t}) for i, t in enumerate(texts))
    )
    out = tmp_path / "figures.json"

    call_command("bench_search", queries=queries, pad_to=40, count=3, json=out, verbosity=0)

    figures = json.loads(out.read_text())
    assert Chunk.objects.count() == figures["chunks"] == 40
    assert figures["synthetic_chunks_added"] == 40 - 2
    fillers = Document.objects.filter(title__startswith=TITLE_PREFIX)
    assert fillers.exists() and all(d.status == "ready" for d in fillers)
    # Consistent like an upload: BM25 rows, term statistics and access counts include the fillers.
    assert ChunkTerms.objects.count() == 40
    assert LexemeStatistic.objects.filter(lexeme="zebrafish", chunk_count__gt=1).exists()
    assert sum(AccessCount.objects.values_list("chunk_count", flat=True)) == 40
    assert figures["everything"]["visible_chunks"] == 40
    assert 0 < figures["one_group"]["visible_chunks"] < figures["two_groups"]["visible_chunks"] < 40
    for reader in ("everything", "one_group", "two_groups"):
        for part in ("search_ms", "embed_ms", "dense_ms", "lexical_ms"):
            assert figures[reader][part]["p95"] >= figures[reader][part]["p50"] > 0
    # The fillers belong to the benchmark's groups: alice still sees only what she saw before.
    assert all(
        not p.title.startswith(TITLE_PREFIX) for p in search(user=alice, query="heart", k=40)
    )
