"""`evaluate_answers` on a tiny enterprise-format set, with a model that answers from source [1]."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_SOURCE = re.compile(r"^\[1\] [^\n]*?: (.+?)(?:\n\[2\]|\n\n|$)", re.M | re.S)


class FirstSourceModel:
    """Repeats the first sentence of source [1], citing it."""

    model = "first-source"

    def stream_chat(self, messages: list[dict[str, str]], **kwargs: Any) -> Iterator[str]:
        found = FIRST_SOURCE.search(messages[-1]["content"])
        assert found, messages[-1]["content"]
        yield found.group(1).split(". ")[0].rstrip(".") + " [1]."

    def context_length(self) -> int:
        return 2048


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def enterprise(tmp_path):
    corpus = tmp_path / "corpus"
    write(
        corpus / "Acme" / "md" / "Leave  Policy.md",
        "# Leave\n\nAcme employees get 27 vacation days per year. Unused days expire in March.",
    )
    write(corpus / "Acme" / "md" / "Parking.md", "# Parking\n\nAcme visitors park in lot B.")
    write(
        corpus / "Globex" / "md" / "Leave Policy.md",
        "# Leave\n\nGlobex staff get 31 vacation days per year, booked through the portal.",
    )
    questions = [
        ("Acme", "How many vacation days do Acme employees get?", "Leave Policy.md"),
        ("Globex", "How many vacation days do Globex staff get?", "leave policy.md"),
    ]
    queries = tmp_path / "queries.jsonl"
    rows = [
        {"company": c, "type": "Descriptive", "query": q, "supporting_facts": [{"filename": f}]}
        for c, q, f in questions
    ]
    queries.write_text("\n".join(json.dumps(row) for row in rows))
    return corpus, queries


def test_figures_and_details_count_cited_supporting_files(enterprise, tmp_path, monkeypatch):
    from assistant import evaluation

    corpus, queries = enterprise
    model = FirstSourceModel()
    monkeypatch.setattr("assistant.pipeline.default_chat_model", lambda: model)
    out, details = tmp_path / "figures.json", tmp_path / "details.jsonl"

    call_command("evaluate_answers", corpus=corpus, queries=queries, json_out=out, details=details)

    figures = json.loads(out.read_text())
    assert figures["questions"] == 2
    # File names match whatever their spacing or case in the question file.
    assert figures["hit@5"] == 1.0
    assert figures["citation_precision"] == 1.0
    assert figures["cited_share"] == 1.0
    assert figures["ttft_ms_p50"] is not None
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["cited"] for r in rows] == [["leave policy"], ["leave policy"]]
    # Each question is asked as a member of its own company only.
    assert "27 vacation days" in rows[0]["answer"] and "31" not in rows[0]["answer"]
    assert "31 vacation days" in rows[1]["answer"]
    assert rows[1]["retrieved"] == ["leave policy"]
    assert evaluation.load_questions(queries, limit=1)[0].company == "Acme"


def test_questions_asked_at_once_give_the_same_figures_in_question_order(
    enterprise, tmp_path, monkeypatch
):
    corpus, queries = enterprise
    model = FirstSourceModel()
    monkeypatch.setattr("assistant.pipeline.default_chat_model", lambda: model)
    out, details = tmp_path / "figures.json", tmp_path / "details.jsonl"

    call_command(
        "evaluate_answers",
        corpus=corpus,
        queries=queries,
        json_out=out,
        details=details,
        concurrency=2,
    )

    figures = json.loads(out.read_text())
    assert figures["concurrency"] == 2
    assert (figures["hit@5"], figures["citation_precision"], figures["cited_share"]) == (1, 1, 1)
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["company"] for r in rows] == ["Acme", "Globex"]
    assert "27 vacation days" in rows[0]["answer"] and "31 vacation days" in rows[1]["answer"]


def test_a_concurrency_below_one_is_refused(enterprise):
    from django.core.management.base import CommandError

    corpus, queries = enterprise
    with pytest.raises(CommandError, match="--concurrency must be at least 1"):
        call_command("evaluate_answers", corpus=corpus, queries=queries, concurrency=0)
