"""RETRIEVAL_RERANKER may name any sentence-transformers CrossEncoder folder on disk."""

from __future__ import annotations

import pytest

from retrieval import rerank
from retrieval.access import principals_for
from retrieval.search import SearchOptions, search_with
from tests.doubles import cited_passage
from tests.retrieval.rerankers import cross_encoder_folder  # noqa: F401

QUERY = "How do I reset my VPN password?"


def test_the_setting_accepts_the_folder_and_loads_a_cross_encoder(cross_encoder_folder):  # noqa: F811
    spec = rerank.check_setting(str(cross_encoder_folder))
    reranker = rerank.load(spec)

    assert spec == str(cross_encoder_folder.resolve())
    assert isinstance(reranker, rerank.CrossEncoderReranker)
    assert reranker.name == cross_encoder_folder.name
    assert 0 < reranker.max_tokens <= 512


@pytest.mark.django_db
def test_a_search_with_it_is_ordered_by_its_scores(cross_encoder_folder, ingested, charlie):  # noqa: F811
    for name, text in [
        ("vpn.md", b"# VPN\n\nReset your VPN password on the self-service portal."),
        ("wifi.md", b"# Wi-Fi\n\nThe guest Wi-Fi password changes every Monday."),
        ("laptops.md", b"# Laptops\n\nA forgotten laptop password is reset by the help desk."),
        ("badges.md", b"# Badges\n\nLost badges are replaced at reception; no password needed."),
    ]:
        ingested(name, text, org_wide=True)
    options = SearchOptions.configured(reranker=rerank.check_setting(str(cross_encoder_folder)))

    ranking = search_with(principals=principals_for(charlie), query=QUERY, k=10, options=options)

    assert len(ranking) >= 2
    scores = [p.rerank_score for p in ranking]
    assert None not in scores
    assert scores == sorted(scores, reverse=True)
    assert ranking.report is not None
    assert ranking.report.reranker == cross_encoder_folder.name
    assert ranking.report.candidates == len(ranking)
    assert not ranking.report.failed
    assert ranking.report.truncated == 0
    own = rerank.load(options.reranker).score(QUERY, list(ranking)).scores
    assert scores == pytest.approx(own, abs=1e-3)


def test_a_passage_longer_than_the_window_is_counted_as_truncated(cross_encoder_folder):  # noqa: F811
    reranker = rerank.load(rerank.check_setting(str(cross_encoder_folder)))
    long_text = " ".join(f"step {i} of resetting the VPN password" for i in range(200))
    passages = [
        cited_passage(1, 1, "VPN", "Reset", "Reset your VPN password on the portal."),
        cited_passage(2, 2, "VPN", "Every step", long_text),
        cited_passage(3, 3, "Wi-Fi", "Guests", "The guest Wi-Fi password changes on Mondays."),
    ]

    ranked, report = rerank.rerank(QUERY, passages, reranker=reranker)

    assert report is not None and not report.failed
    assert report.truncated == 1
    assert sorted(p.chunk_id for p in ranked) == [1, 2, 3]
    assert all(p.rerank_score is not None for p in ranked)
