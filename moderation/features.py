"""Per-text features shared by the detectors: embeddings and hashed character n-grams."""

from __future__ import annotations

import functools
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from moderation import embedding

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Hashed, so no vocabulary has to ship with the weights; 2**16 columns keep the heads small.
CHAR_FEATURES = 2**16
CHAR_NGRAMS = (2, 5)


@functools.cache
def _hasher() -> Any:
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb",
        ngram_range=CHAR_NGRAMS,
        n_features=CHAR_FEATURES,
        alternate_sign=False,
        norm=None,
    )


def char_counts(texts: list[str]) -> Any:
    """Sparse counts of hashed character n-grams (rows = texts)."""
    return _hasher().transform(texts)


def char_tfidf(counts: Any, idf: NDArray[np.float32]) -> Any:
    """Sublinear tf-idf with L2 rows, as scikit-learn's TfidfTransformer computes it."""
    from sklearn.preprocessing import normalize

    x = counts.astype(np.float32).tocsr(copy=True)
    x.data = 1.0 + np.log(x.data)
    x = x.multiply(idf.reshape(1, -1)).tocsr()
    return normalize(x, norm="l2", copy=False)


class TextFeatures:
    """Features of one text, computed on first use and shared by every detector of a check."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def windows(self) -> NDArray[np.float32]:
        """Embedding rows, one per 256-token window."""
        return embedding.embed_windows(self.text)

    @cached_property
    def char_counts(self) -> Any:
        """Hashed character n-gram counts of the whole text."""
        return char_counts([self.text])
