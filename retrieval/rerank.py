"""The second stage of search: a model re-scores the first stage's best candidates.

Only passages the asker may read reach this module: `search_with` applies the principal filter in
SQL before and after ranking and hands over the fetched passages alone. The reranker sees the
question and those passages, never an identifier it could look anything up with.

Two kinds of model are read, chosen by RETRIEVAL_RERANKER:
- one written by `python -m retrieval train-reranker`: a cross-encoder fine-tuned from the first
  layers of the packaged all-MiniLM-L6-v2, with its MODEL_CARD.md. Its folder holds only what
  training changed: the word embeddings stay those of the packaged model, so the file is small.
  `default` names retrieval/weights/reranker; no model ships there, because none trained here beat
  the first stage on companies it was not trained on (docs/BENCHMARKS.md, Retrieval);
- any sentence-transformers `CrossEncoder` folder on disk (bge-reranker, mxbai-rerank, ...).

The candidates are scored in one forward pass, each cut to the model's window; how many were cut
is counted. A model that fails at run time leaves the first-stage order, logged once per process.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import Field, dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from retrieval.reranker_folders import (
    MANIFEST,
    SHIPPED,
    RerankerError,
    read_manifest,
)

# Named here too, for the callers that read them as part of this module's interface.
from retrieval.reranker_folders import SHIPPED_FORMAT as SHIPPED_FORMAT
from retrieval.reranker_folders import check_setting as check_setting

logger = logging.getLogger(__name__)

# A passage with fewer letters or digits than this carries nothing to score: it goes last.
_MEANINGFUL = re.compile(r"[^\W_]", re.UNICODE)


class Candidate(Protocol):
    """What the second stage reads of a first-stage passage (retrieval.search.Passage)."""

    # A dataclass: the reranked copies carry their `rerank_score` through dataclasses.replace.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    @property
    def title(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def score(self) -> float: ...


C = TypeVar("C", bound=Candidate)


def candidate_text(title: str, location: str, text: str) -> str:
    """A passage as the reranker reads it (training and search build it the same way)."""
    return f"{title} › {location} | {text}" if location else f"{title} | {text}"


class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant."""

    name: str
    max_tokens: int

    def score(self, query: str, passages: Sequence[Candidate]) -> RerankScores: ...


@dataclass(frozen=True)
class RerankScores:
    """One score per passage, and how many passages the model's window cut short."""

    scores: list[float]
    truncated: int = 0


@dataclass(frozen=True)
class RerankReport:
    """What the second stage did to one search, for traces and benchmarks."""

    reranker: str
    candidates: int
    truncated: int = 0
    failed: bool = False


def has_content(passage: Candidate) -> bool:
    """Whether a passage holds any letter or digit to score."""
    return bool(_MEANINGFUL.search(passage.text))


def standardised(values: np.ndarray) -> np.ndarray:
    spread = float(values.std())
    return (values - values.mean()) / spread if spread > 1e-9 else np.zeros_like(values)


class ShippedReranker:
    """The packaged cross-encoder (retrieval.cross_encoder) with the manifest's settings.

    Its score is the standardised model score plus `first_stage_weight` times the standardised
    first-stage score of the same candidates (the weight is chosen in training, out of fold).
    """

    def __init__(self, folder: Path) -> None:
        from retrieval import cross_encoder

        manifest = read_manifest(folder)
        self.model = cross_encoder.PairScorer(int(manifest["layers"]))
        self.model.load(folder / str(manifest["weights"]))
        self.model.eval()
        self.tokens = cross_encoder.tokenizer()
        self.name = str(manifest.get("name", folder.name))
        self.first_stage_weight = float(manifest.get("first_stage_weight", 0.0))
        self.max_tokens = int(manifest["max_tokens"])

    def model_scores(self, query: str, texts: list[str]) -> tuple[np.ndarray, int]:
        """The network's raw score of each (query, text) pair, and how many texts were cut."""
        import torch

        from retrieval.cross_encoder import encode_pairs

        batch, truncated = encode_pairs(self.tokens, query, texts, self.max_tokens)
        with torch.inference_mode():
            return self.model(batch).double().numpy(), truncated

    def score(self, query: str, passages: Sequence[Candidate]) -> RerankScores:
        texts = [candidate_text(p.title, p.location, p.text) for p in passages]
        raw, truncated = self.model_scores(query, texts)
        first = np.array([p.score for p in passages], dtype=np.float64)
        combined = standardised(raw) + self.first_stage_weight * standardised(first)
        return RerankScores(scores=combined.tolist(), truncated=truncated)


class CrossEncoderReranker:
    """Any sentence-transformers CrossEncoder folder; its own score alone decides the order."""

    def __init__(self, folder: Path) -> None:
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(str(folder), device="cpu", local_files_only=True)
        window = int(getattr(self.model, "max_length", None) or 0) or 512
        self.max_tokens = min(window, int(self.model.tokenizer.model_max_length or window), 512)
        self.model.max_length = self.max_tokens
        self.name = folder.name

    def score(self, query: str, passages: Sequence[Candidate]) -> RerankScores:
        texts = [candidate_text(p.title, p.location, p.text) for p in passages]
        full = self.model.tokenizer([query] * len(texts), texts, truncation=False, verbose=False)
        truncated = sum(1 for ids in full["input_ids"] if len(ids) > self.max_tokens)
        scores = self.model.predict(
            [(query, text) for text in texts],
            batch_size=max(1, len(texts)),
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        values = np.asarray(scores, dtype=np.float64)
        if values.ndim > 1:  # a model with several labels: the last one is "relevant"
            values = values[:, -1]
        return RerankScores(scores=values.tolist(), truncated=truncated)


class _Unloadable:
    """Stands for a model that would not load: every search falls back, logged once."""

    max_tokens = 0

    def __init__(self, name: str, error: str) -> None:
        self.name = name
        self.error = error

    def score(self, query: str, passages: Sequence[Candidate]) -> RerankScores:
        raise RerankerError(self.error)


@cache
def load(spec: str) -> Reranker | None:
    """The reranker named by a checked setting value; None for `off`. Loaded once per process.

    A model that cannot be loaded (its files changed since start-up) is not retried on every
    search: it stands as a reranker that fails, so searches keep the first-stage order.
    """
    if spec == "off":
        return None
    folder = SHIPPED if spec == "default" else Path(spec)
    try:
        if (folder / MANIFEST).is_file():
            return ShippedReranker(folder)
        return CrossEncoderReranker(folder)
    except Exception as error:  # any failure to load means the same thing here
        line = f"the reranker in {folder} cannot be loaded ({error})".splitlines()[0]
        return _Unloadable(folder.name, line)


_failures_logged: set[str] = set()


def rerank(
    query: str, passages: list[C], *, reranker: Reranker | None
) -> tuple[list[C], RerankReport | None]:
    """`passages` reordered by the reranker, best first, each carrying its `rerank_score`.

    Passages with no letter or digit are never sent to the model and go last. If the model fails,
    the first-stage order is kept, the report says so, and the error is logged once per process.
    """
    if reranker is None or not passages:
        return passages, None
    scorable = [p for p in passages if has_content(p)]
    empty = [p for p in passages if not has_content(p)]
    try:
        result = reranker.score(query, scorable) if scorable else RerankScores([])
        scores = [float(s) for s in result.scores]
        if len(scores) != len(scorable) or not all(math.isfinite(s) for s in scores):
            raise RerankerError(f"{len(scores)} scores for {len(scorable)} passages, or not finite")
    except Exception as error:
        key = f"{reranker.name}:{type(error).__name__}"
        if key not in _failures_logged:
            _failures_logged.add(key)
            logger.error(
                "reranker %s failed (%s); searches keep the first-stage order",
                reranker.name,
                error,
                exc_info=not isinstance(error, RerankerError),
            )
        return passages, RerankReport(reranker.name, len(passages), failed=True)
    order = sorted(range(len(scorable)), key=lambda i: (-scores[i], i))
    ranked = [replace(scorable[i], rerank_score=round(scores[i], 4)) for i in order]
    lowest = (min(scores) if scores else 0.0) - 1.0
    ranked += [replace(p, rerank_score=round(lowest, 4)) for p in empty]
    return ranked, RerankReport(reranker.name, len(passages), truncated=result.truncated)
