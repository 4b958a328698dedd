"""A reranker that fails leaves the first stage's order, marks the report failed, and logs once."""

from __future__ import annotations

import logging

import pytest

from retrieval import rerank
from retrieval.access import principals_for
from retrieval.search import SearchOptions, search_with
from tests.retrieval.rerankers import (
    BrokenReranker,
    not_a_number,
    one_score_too_few,
    raises,
    use_reranker,
)

pytestmark = pytest.mark.django_db

QUERY = "When is the office closed for the holidays?"


@pytest.fixture
def holiday_documents(ingested):
    return [
        ingested(
            "closures.md",
            b"# Office closures\n\nThe office is closed for the holidays from 24 December.",
            org_wide=True,
        ),
        ingested(
            "holidays.md",
            b"# Public holidays\n\nThe office observes every public holiday of the canton.",
            org_wide=True,
        ),
        ingested(
            "rota.md",
            b"# Holiday rota\n\nWho keeps the office open between the holidays is on the rota.",
            org_wide=True,
        ),
    ]


@pytest.fixture(autouse=True)
def nothing_logged_yet(monkeypatch):
    monkeypatch.setattr(rerank, "_failures_logged", set())


def searched(user, reranker_setting):
    options = SearchOptions.configured(reranker=reranker_setting)
    return search_with(principals=principals_for(user), query=QUERY, k=10, options=options)


def shape(ranking):
    return [(p.chunk_id, p.score, p.first_stage_rank) for p in ranking]


def test_a_reranker_that_raises_leaves_the_first_stage_order(
    holiday_documents, charlie, monkeypatch
):
    before = searched(charlie, "off")
    broken = BrokenReranker(raises)
    use_reranker(monkeypatch, broken)

    after = searched(charlie, "default")

    assert broken.calls == 1
    assert len(before) >= 2
    assert shape(after) == shape(before)
    assert all(p.rerank_score is None for p in after)
    assert after.report is not None
    assert after.report.failed
    assert after.report.reranker == "broken"
    assert after.report.candidates == len(before)


def test_the_failure_is_logged_once_per_process(holiday_documents, charlie, monkeypatch, caplog):
    use_reranker(monkeypatch, BrokenReranker(raises))

    with caplog.at_level(logging.ERROR, logger="retrieval.rerank"):
        first = searched(charlie, "default")
        second = searched(charlie, "default")

    assert first.report.failed and second.report.failed
    failures = [r for r in caplog.records if r.name == "retrieval.rerank"]
    assert len(failures) == 1
    assert failures[0].levelno == logging.ERROR
    assert "broken" in failures[0].getMessage()
    assert "the model ran out of memory" in failures[0].getMessage()


@pytest.mark.parametrize("behaviour", [not_a_number, one_score_too_few])
def test_scores_that_are_not_one_finite_number_per_passage_fall_back(
    holiday_documents, charlie, monkeypatch, caplog, behaviour
):
    before = searched(charlie, "off")
    use_reranker(monkeypatch, BrokenReranker(behaviour))

    with caplog.at_level(logging.ERROR, logger="retrieval.rerank"):
        after = searched(charlie, "default")

    assert shape(after) == shape(before)
    assert all(p.rerank_score is None for p in after)
    assert after.report.failed
    assert len([r for r in caplog.records if r.name == "retrieval.rerank"]) == 1
