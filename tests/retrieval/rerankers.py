"""Rerankers for the tests of the second stage of search: stand-ins and a real CrossEncoder folder.

A test module that needs the folder imports the fixture: `from tests.retrieval.rerankers import
cross_encoder_folder`. It is built once per run, however many modules import it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from retrieval import rerank


@dataclass
class SpyReranker:
    """Records every batch of passages it is given and scores them in reverse order.

    The last passage of a batch gets the highest score, so a reranked list is the batch reversed.
    """

    name: str = "spy"
    max_tokens: int = 512
    batches: list[list[Any]] = field(default_factory=list)

    def score(self, query: str, passages: Sequence[Any]) -> rerank.RerankScores:
        self.batches.append(list(passages))
        return rerank.RerankScores(scores=[float(i) for i in range(len(passages))])

    @property
    def seen(self) -> list[Any]:
        return [p for batch in self.batches for p in batch]


@dataclass
class BrokenReranker:
    """A reranker whose `score` does what `behaviour` does with the passages (raise, or bad scores)."""

    behaviour: Callable[[Sequence[Any]], rerank.RerankScores]
    name: str = "broken"
    max_tokens: int = 512
    calls: int = 0

    def score(self, query: str, passages: Sequence[Any]) -> rerank.RerankScores:
        self.calls += 1
        return self.behaviour(passages)


def raises(passages: Sequence[Any]) -> rerank.RerankScores:
    raise RuntimeError("the model ran out of memory")


def not_a_number(passages: Sequence[Any]) -> rerank.RerankScores:
    return rerank.RerankScores(scores=[float("nan")] * len(passages))


def one_score_too_few(passages: Sequence[Any]) -> rerank.RerankScores:
    return rerank.RerankScores(scores=[1.0] * (len(passages) - 1))


def use_reranker(monkeypatch: pytest.MonkeyPatch, reranker: Any) -> None:
    """Make every search of this test get `reranker`, whatever its setting names."""
    monkeypatch.setattr(rerank, "load", lambda spec: None if spec == "off" else reranker)


@cache
def _build_cross_encoder(folder: Path) -> Path:
    import torch
    from sentence_transformers import CrossEncoder

    from retrieval.cross_encoder import base_model_path

    # The classification head starts random: a fixed seed gives the same model, and scores, each run.
    torch.manual_seed(0)
    model = CrossEncoder(base_model_path(), num_labels=1, device="cpu", local_files_only=True)
    model.save(str(folder))
    return folder


@pytest.fixture(scope="session")
def cross_encoder_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers CrossEncoder folder built from the packaged MiniLM (untrained head)."""
    return _build_cross_encoder(tmp_path_factory.getbasetemp() / "minilm-cross-encoder")
