"""`python -m retrieval train-reranker` on a tiny enterprise-format corpus: it reports each company
left out, writes weights, manifest and model card, and the folder it writes is a reranker that
`RETRIEVAL_RERANKER` accepts and search uses. Two runs with one seed give the same figures."""

from __future__ import annotations

import json

import pytest

from retrieval import rerank
from retrieval.__main__ import main
from retrieval.access import principals_for
from retrieval.enterprise import company_member
from retrieval.search import SearchOptions, search_with

pytestmark = pytest.mark.django_db(transaction=True)

TOPICS = {
    "leave": "Employees get {n} vacation days a year; unused days expire at the end of March.",
    "parking": "Visitors park in lot {c}; staff badges open the barrier from seven in the morning.",
    "expenses": "Travel expenses are refunded within {n} days of a claim with receipts attached.",
}
QUESTIONS = {
    "leave": ["How many vacation days do employees get?", "When do unused vacation days expire?"],
    "parking": ["Where do visitors park?", "When does the parking barrier open for staff?"],
    "expenses": ["How fast are travel expenses refunded?", "What must an expense claim include?"],
}


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    rows = []
    for number, company in enumerate(("Acme", "Globex", "Initech"), start=20):
        for topic, text in TOPICS.items():
            path = folder / company / "md" / f"{company} {topic}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = text.format(n=number, c=company[0])
            path.write_text(f"# {company} {topic}\n\n{body}\n", encoding="utf-8")
            for question in QUESTIONS[topic]:
                rows.append(
                    {
                        "company": company,
                        "query": f"{question} ({company})",
                        "supporting_facts": [{"filename": f"{company} {topic}.md"}],
                    }
                )
    queries = tmp_path / "queries.jsonl"
    queries.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    return folder, queries


def train(corpus, queries, out):
    arguments = ["train-reranker", "--out", str(out), "--corpus", str(corpus)]
    arguments += ["--queries", str(queries), "--layers", "1", "--epochs", "1", "--threads", "1"]
    return main(arguments)


def test_train_reranker_reports_each_left_out_company_and_writes_a_usable_model(
    corpus, tmp_path, capsys
):
    folder, queries = corpus
    out = tmp_path / "model"

    assert train(folder, queries, out) == 0

    printed = capsys.readouterr().out
    for company in ("Acme", "Globex", "Initech"):
        assert f"leave out {company}" in printed
    manifest = json.loads((out / "reranker.json").read_text())
    assert manifest["format"] == rerank.SHIPPED_FORMAT and manifest["layers"] == 1
    card = (out / "MODEL_CARD.md").read_text()
    assert "MIT" in card and "CC BY-NC" in card
    assert all(f"| {company} | 6 |" in card for company in ("Acme", "Globex", "Initech"))
    # Only what training changed is stored: not the word-embedding table (23 MB in fp16).
    assert (out / "weights.safetensors").stat().st_size < 10_000_000

    # The folder is a reranker the setting accepts and search uses.
    assert rerank.check_setting(str(out)) == str(out.resolve())
    rerank.load.cache_clear()
    ranking = search_with(
        principals=principals_for(company_member("Acme")),
        query="Where do visitors park?",
        k=3,
        options=SearchOptions.configured(reranker=str(out.resolve())),
    )
    assert ranking.report is not None and not ranking.report.failed
    assert ranking and all(p.rerank_score is not None for p in ranking)
    scores = [p.rerank_score for p in ranking]
    assert scores == sorted(scores, reverse=True)


def test_two_runs_with_one_seed_give_the_same_figures(corpus, tmp_path, capsys):
    folder, queries = corpus
    train(folder, queries, tmp_path / "first")
    train(folder, queries, tmp_path / "second")

    def table(name):
        card = (tmp_path / name / "MODEL_CARD.md").read_text()
        return [line for line in card.splitlines() if line.startswith("| ")]

    assert table("first") == table("second")
