"""The second stage re-scores only passages the asker may read: the filter runs before it."""

from __future__ import annotations

import pytest

from retrieval.access import documents_visible_to, principals_for
from retrieval.search import SearchOptions, search_with
from tests.retrieval.rerankers import SpyReranker, use_reranker

pytestmark = pytest.mark.django_db

QUERY = "How many days of parental leave do employees get?"


@pytest.fixture
def leave_documents(ingested, groups):
    return {
        "hr": ingested(
            "hr-leave.md",
            b"# Parental leave cases\n\nParental leave for employees under review: twenty days "
            b"granted to the employees named in the confidential HR case list.",
            groups=[groups["HR"]],
        ),
        "org": ingested(
            "leave-policy.md",
            b"# Leave policy\n\nEmployees get sixteen weeks of parental leave, paid in full.",
            org_wide=True,
        ),
        "eng": ingested(
            "on-call.md",
            b"# On-call and leave\n\nEngineers on parental leave are taken off the on-call "
            b"rota for as many days as the leave lasts.",
            groups=[groups["Engineering"]],
        ),
    }


def reranked_search(user, spy, monkeypatch):
    use_reranker(monkeypatch, spy)
    options = SearchOptions.configured(reranker="default", rerank_candidates=30)
    return search_with(principals=principals_for(user), query=QUERY, k=20, options=options)


def first_stage(user):
    options = SearchOptions.configured(reranker="off")
    return search_with(principals=principals_for(user), query=QUERY, k=20, options=options)


def test_bob_in_engineering_never_shows_the_reranker_an_hr_passage(
    leave_documents, bob, monkeypatch
):
    spy = SpyReranker()

    ranking = reranked_search(bob, spy, monkeypatch)

    assert spy.batches, "the reranker was never called"
    readable = set(documents_visible_to(bob).values_list("pk", flat=True))
    assert {p.document_id for p in spy.seen} <= readable
    assert leave_documents["hr"].pk not in {p.document_id for p in spy.seen}
    assert {p.document_id for p in spy.seen} == {
        leave_documents["org"].pk,
        leave_documents["eng"].pk,
    }
    assert leave_documents["hr"].pk not in {p.document_id for p in ranking}


def test_the_reranker_decides_the_order_bob_gets(leave_documents, bob, monkeypatch):
    spy = SpyReranker()

    ranking = reranked_search(bob, spy, monkeypatch)

    before = [p.chunk_id for p in first_stage(bob)]
    assert len(before) >= 2
    assert [p.chunk_id for p in spy.seen] == before
    assert [p.chunk_id for p in ranking] == before[::-1]
    assert [p.first_stage_rank for p in ranking] == list(range(len(before), 0, -1))
    scores = [p.rerank_score for p in ranking]
    assert None not in scores
    assert scores == sorted(scores, reverse=True)
    assert ranking.report is not None
    assert ranking.report.reranker == "spy"
    assert ranking.report.candidates == len(before)
    assert not ranking.report.failed


def test_alice_in_hr_gets_the_hr_document_through_the_same_reranker(
    leave_documents, alice, monkeypatch
):
    spy = SpyReranker()

    ranking = reranked_search(alice, spy, monkeypatch)

    readable = set(documents_visible_to(alice).values_list("pk", flat=True))
    assert {p.document_id for p in spy.seen} <= readable
    assert leave_documents["hr"].pk in {p.document_id for p in spy.seen}
    assert leave_documents["eng"].pk not in {p.document_id for p in spy.seen}
    assert leave_documents["hr"].pk in {p.document_id for p in ranking}
    assert [p.chunk_id for p in ranking] == [p.chunk_id for p in first_stage(alice)][::-1]
