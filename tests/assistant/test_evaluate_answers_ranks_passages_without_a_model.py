"""`evaluate_answers --retrieval-only` ranks each question's passages through search, no model."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.assistant.test_evaluate_answers_scores_cited_files import enterprise  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_retrieval_only_reports_where_the_supporting_file_ranks(enterprise, tmp_path, monkeypatch):  # noqa: F811
    def no_model():
        raise AssertionError("no model is asked")

    monkeypatch.setattr("assistant.pipeline.default_chat_model", no_model)
    corpus, queries = enterprise
    out = tmp_path / "ranking.json"

    call_command(
        "evaluate_answers",
        corpus=corpus,
        queries=queries,
        json_out=out,
        retrieval_only=True,
        reranker="off",
    )

    figures = json.loads(out.read_text())
    assert figures["questions"] == 2
    assert figures["reranker"] == "off" and "reranked" not in figures
    # Each company's member finds its own leave policy first (file names matched loosely).
    first = figures["first_stage"]
    assert (first["hit@1"], first["hit@5"], first["mrr@10"]) == (1.0, 1.0, 1.0)
    assert set(first["by_company"]) == {"Acme", "Globex"}
