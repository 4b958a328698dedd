"""Search queries are embedded by the model's ONNX graph, which must agree with torch's embedding."""

from __future__ import annotations

import numpy as np

from retrieval import embedding, query_encoder

QUESTIONS = [
    "How many days of annual leave do new employees get?",
    "Is the VPN required when working from a café?",
    "Vitamin D deficiency raises the risk of hip fractures in older women.",
    "x",
    "word " * 400,  # past the model's 256-token window: both cut it at the same place
]


def test_a_query_embedded_through_onnx_matches_torch_and_the_graph_is_kept_for_the_next_process(
    fresh_query_encoder_cache,
):
    vectors = [embedding.embed_query(text) for text in QUESTIONS]

    # The ONNX encoder is in charge, not the torch fallback.
    assert isinstance(embedding._query_embedder().__self__, query_encoder.OnnxQueryEncoder)
    reference = embedding.embed_texts(QUESTIONS)
    for vector, expected in zip(vectors, reference, strict=True):
        assert vector.dtype == np.float32 and vector.shape == (384,)
        assert float(np.dot(vector, expected)) > 0.9999
    # Exported once into the cache folder, where the next process finds it.
    assert len(list((fresh_query_encoder_cache / "retrieval-query-encoder").glob("*.onnx"))) == 1
