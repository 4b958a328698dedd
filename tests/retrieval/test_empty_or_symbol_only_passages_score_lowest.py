"""Passages with no letter or digit are never sent to the model and come last."""

from __future__ import annotations

from retrieval import rerank
from tests.doubles import cited_passage
from tests.retrieval.rerankers import SpyReranker, cross_encoder_folder  # noqa: F401

QUERY = "Who approves travel expenses?"


def passages():
    return [
        cited_passage(1, 10, "Travel", "Expenses", "Travel expenses are approved by your manager."),
        cited_passage(2, 10, "Travel", "Blank", ""),
        cited_passage(3, 11, "Finance", "Approvals", "Finance approves expenses above 5000 EUR."),
        cited_passage(4, 12, "Table", "Rule", "— ** ||"),
        cited_passage(5, 13, "Hotels", "Booking", "Hotels are booked through the travel desk."),
    ]


EMPTY = {2, 4}


def test_the_model_never_sees_them_and_they_come_last():
    spy = SpyReranker()

    ranked, report = rerank.rerank(QUERY, passages(), reranker=spy)

    assert [p.chunk_id for p in spy.seen] == [1, 3, 5]
    assert [p.chunk_id for p in ranked[:3]] == [5, 3, 1]
    assert {p.chunk_id for p in ranked[3:]} == EMPTY
    lowest_scored = min(p.rerank_score for p in ranked[:3])
    assert all(p.rerank_score < lowest_scored for p in ranked[3:])
    assert report is not None and not report.failed
    assert report.candidates == 5


def test_only_empty_passages_never_call_the_model():
    spy = SpyReranker()
    only_empty = [p for p in passages() if p.chunk_id in EMPTY]

    ranked, report = rerank.rerank(QUERY, only_empty, reranker=spy)

    assert spy.batches == []
    assert [p.chunk_id for p in ranked] == [2, 4]
    assert all(p.rerank_score is not None for p in ranked)
    assert report is not None and not report.failed


def test_a_cross_encoder_puts_them_last_too(cross_encoder_folder):  # noqa: F811
    reranker = rerank.load(str(cross_encoder_folder))

    ranked, report = rerank.rerank(QUERY, passages(), reranker=reranker)

    assert isinstance(reranker, rerank.CrossEncoderReranker)
    assert report is not None and not report.failed
    assert sorted(p.chunk_id for p in ranked) == [1, 2, 3, 4, 5]
    assert {p.chunk_id for p in ranked[3:]} == EMPTY
    lowest_scored = min(p.rerank_score for p in ranked[:3])
    assert all(p.rerank_score < lowest_scored for p in ranked[3:])
