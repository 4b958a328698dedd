"""When the ONNX query encoder cannot be exported (or disagrees with torch), torch embeds queries."""

from __future__ import annotations

import logging

import numpy as np

from retrieval import embedding, query_encoder


def test_an_export_that_fails_is_logged_once_and_torch_embeds_every_query(
    fresh_query_encoder_cache, monkeypatch, caplog
):
    def broken_export(*args, **kwargs):
        raise RuntimeError("this model has an operator the exporter does not know")

    monkeypatch.setattr(query_encoder, "_export", broken_export)
    with caplog.at_level(logging.WARNING, logger="retrieval.embedding"):
        first = embedding.embed_query("expense claims for client dinners")
        second = embedding.embed_query("who approves a purchase order")

    warnings = [r.getMessage() for r in caplog.records if r.name == "retrieval.embedding"]
    assert len(warnings) == 1
    assert (
        "embedded by torch" in warnings[0] and "operator the exporter does not know" in warnings[0]
    )
    np.testing.assert_array_equal(
        first, embedding.embed_texts(["expense claims for client dinners"])[0]
    )
    np.testing.assert_array_equal(
        second, embedding.embed_texts(["who approves a purchase order"])[0]
    )


def test_a_graph_that_disagrees_with_torch_is_not_used(
    fresh_query_encoder_cache, monkeypatch, caplog
):
    # A graph whose embeddings are off (here: each one rotated by a place) fails the probes.
    real_embed = query_encoder.OnnxQueryEncoder.embed

    def skewed(self, text):
        vector = real_embed(self, text)
        return np.roll(vector, 1)

    monkeypatch.setattr(query_encoder.OnnxQueryEncoder, "embed", skewed)
    with caplog.at_level(logging.WARNING, logger="retrieval.embedding"):
        vector = embedding.embed_query("parking at the head office")

    assert any("disagrees with torch" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(vector, embedding.embed_texts(["parking at the head office"])[0])
