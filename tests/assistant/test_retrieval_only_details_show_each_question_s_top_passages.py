"""`evaluate_answers --retrieval-only --details` writes each question's top passages, for reading misses."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from tests.assistant.test_evaluate_answers_scores_cited_files import enterprise  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_question_lists_its_supporting_files_and_top_passages(enterprise, tmp_path):  # noqa: F811
    corpus, queries = enterprise
    details = tmp_path / "details.jsonl"

    call_command(
        "evaluate_answers",
        corpus=corpus,
        queries=queries,
        retrieval_only=True,
        reranker="off",
        details=details,
    )

    lines = [json.loads(line) for line in details.read_text().splitlines()]
    assert [line["company"] for line in lines] == ["Acme", "Globex"]
    for line in lines:
        assert line["question"] and line["supporting"]
        top = line["first_stage"]
        assert 1 <= len(top) <= 5
        assert "reranked" not in line
        # The first passage is from the question's own supporting file, and says so.
        assert top[0]["supporting"] is True
        assert set(top[0]["files"]) & set(line["supporting"])
        assert top[0]["title"] and top[0]["text"]
        # A member of one company never sees the other company's files.
        other = "Globex" if line["company"] == "Acme" else "Acme"
        assert all(other not in passage["text"] for passage in top)
        assert line["company"] in top[0]["text"]
