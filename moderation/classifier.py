"""The harm and advice classifier: trained heads on MiniLM embeddings and character n-grams."""

from __future__ import annotations

from moderation.features import TextFeatures
from moderation.heads import packaged_heads
from moderation.registry import Detection
from moderation.verdict import Stage

HARM_WEIGHTS = "harm.npz"


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores for the harm categories and the advice categories."""
    return Detection(scores=packaged_heads(HARM_WEIGHTS).score(features))


def load() -> None:
    """Load the embedding model and the heads (the registry calls this once per process)."""
    packaged_heads(HARM_WEIGHTS).score(TextFeatures("warm up"))
