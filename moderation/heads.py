"""Linear classifier heads over embeddings (and character n-grams), stored as .npz files."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from moderation.features import TextFeatures, char_tfidf

if TYPE_CHECKING:
    from numpy.typing import NDArray

WEIGHTS_PACKAGE = "moderation.weights"


def _sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


@dataclass(frozen=True)
class LinearHeads:
    """One logistic head per label on each feature set; the probabilities are blended."""

    labels: tuple[str, ...]
    emb_coef: NDArray[np.float32]  # (labels, columns): the first columns of the features
    emb_bias: NDArray[np.float32]  # (labels,)
    char_coef: NDArray[np.float32]  # (labels, CHAR_FEATURES)
    char_bias: NDArray[np.float32]
    idf: NDArray[np.float32]  # (CHAR_FEATURES,)
    # Weight of the embedding head, one per label (or one for all); the rest goes to the
    # character head.
    blend: float | NDArray[np.float32]

    def score_arrays(self, windows: NDArray[np.float32], counts: object) -> NDArray[np.float32]:
        """Probabilities per label; the embedding head takes the worst window of a long text."""
        emb = _sigmoid(self._columns(windows) @ self.emb_coef.T + self.emb_bias).max(axis=0)
        chars = char_tfidf(counts, self.idf)
        char = _sigmoid(np.asarray(chars @ self.char_coef.T).ravel() + self.char_bias)
        return self.blend * emb + (1.0 - self.blend) * char

    def score_arrays_batch(
        self, vectors: NDArray[np.float32], counts: object
    ) -> NDArray[np.float32]:
        """Probabilities (texts x labels) for many texts, one embedding row each."""
        emb, char = self.parts_batch(vectors, counts)
        return self.blend * emb + (1.0 - self.blend) * char

    def parts_batch(
        self, vectors: NDArray[np.float32], counts: object
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """The embedding heads' and the character heads' probabilities (texts x labels)."""
        emb = _sigmoid(self._columns(vectors) @ self.emb_coef.T + self.emb_bias)
        chars = char_tfidf(counts, self.idf)
        return emb, _sigmoid(np.asarray(chars @ self.char_coef.T) + self.char_bias)

    def _columns(self, rows: NDArray[np.float32]) -> NDArray[np.float32]:
        """The feature columns these heads were trained on (older heads read the first 384)."""
        return rows[:, : self.emb_coef.shape[1]]

    def score(self, features: TextFeatures) -> dict[str, float]:
        """Probabilities per label for one text."""
        probs = self.score_arrays(features.windows, features.char_counts)
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def save(self, path: Path) -> None:
        """Write the heads as a compressed .npz (float16 keeps the file small)."""
        _write(
            path,
            self.labels,
            emb_coef=self.emb_coef.astype(np.float16),
            emb_bias=self.emb_bias.astype(np.float32),
            char_coef=self.char_coef.astype(np.float16),
            char_bias=self.char_bias.astype(np.float32),
            idf=self.idf.astype(np.float16),
            blend=np.array(self.blend, dtype=np.float32),
        )

    @classmethod
    def load(cls, path: Path | str) -> LinearHeads:
        """Read heads written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            return cls(
                labels=tuple(str(x) for x in data["labels"]),
                emb_coef=data["emb_coef"].astype(np.float32),
                emb_bias=data["emb_bias"].astype(np.float32),
                char_coef=data["char_coef"].astype(np.float32),
                char_bias=data["char_bias"].astype(np.float32),
                idf=data["idf"].astype(np.float32),
                blend=_blend(data["blend"]),
            )


@dataclass(frozen=True)
class EmbeddingHeads:
    """One logistic head per label on the embedding columns alone, and each label's share.

    The OpenAI-set harm heads (`classifier.OPENAI_HARM_WEIGHTS`): trained on the real, labelled
    comments and chat messages only, they are mixed into the main heads' category scores, each
    category by its own ``share`` (0: not mixed in).
    """

    labels: tuple[str, ...]
    coef: NDArray[np.float32]  # (labels, columns)
    bias: NDArray[np.float32]  # (labels,)
    share: NDArray[np.float32]  # (labels,)

    def probabilities(self, rows: NDArray[np.float32]) -> NDArray[np.float32]:
        """Probabilities (rows x labels), one embedding row each."""
        return _sigmoid(rows[:, : self.coef.shape[1]] @ self.coef.T + self.bias)

    def score(self, features: TextFeatures) -> dict[str, float]:
        """Probabilities per label for one text; a long text's worst window counts."""
        probs = self.probabilities(features.windows).max(axis=0)
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def shares(self) -> dict[str, float]:
        """Each label's share in the mixed score."""
        return {label: round(float(s), 4) for label, s in zip(self.labels, self.share, strict=True)}

    def save(self, path: Path) -> None:
        """Write the heads as a compressed .npz (float16 coefficients)."""
        _write(
            path, self.labels, coef=self.coef.astype(np.float16), bias=self.bias, share=self.share
        )

    @classmethod
    def load(cls, path: Path | str) -> EmbeddingHeads:
        """Read heads written by ``save``."""
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k].astype(np.float32) for k in ("coef", "bias", "share")}
            return cls(labels=tuple(str(x) for x in data["labels"]), **arrays)


def _write(path: Path, labels: tuple[str, ...], **arrays: NDArray[Any]) -> None:
    """Write labelled head arrays as a compressed .npz (float32 unless given as float16)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stored: dict[str, Any] = {
        k: a if a.dtype == np.float16 else a.astype(np.float32) for k, a in arrays.items()
    }
    np.savez_compressed(path, labels=np.array(labels), **stored)


def _blend(stored: NDArray[np.float32]) -> float | NDArray[np.float32]:
    """One weight for every label (heads written before 2026-12-07), or one per label."""
    return float(stored) if stored.ndim == 0 else stored.astype(np.float32)


@functools.cache
def has_packaged_heads(name: str) -> bool:
    """Whether heads of this name ship in moderation/weights/ (looked up once per process)."""
    return resources.files(WEIGHTS_PACKAGE).joinpath(name).is_file()


@functools.cache
def packaged_heads(name: str) -> LinearHeads:
    """Heads shipped in moderation/weights/, loaded once per process."""
    ref = resources.files(WEIGHTS_PACKAGE).joinpath(name)
    with resources.as_file(ref) as path:
        return LinearHeads.load(path)


@functools.cache
def packaged_embedding_heads(name: str) -> EmbeddingHeads:
    """Embedding-only heads shipped in moderation/weights/, loaded once per process."""
    ref = resources.files(WEIGHTS_PACKAGE).joinpath(name)
    with resources.as_file(ref) as path:
        return EmbeddingHeads.load(path)
