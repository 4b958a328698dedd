"""The harm and advice classifier: trained heads on MiniLM embeddings and character n-grams."""

from __future__ import annotations

from moderation.categories import CLASSIFIER_CATEGORIES, HARM_CATEGORIES
from moderation.features import TextFeatures
from moderation.heads import packaged_heads
from moderation.registry import Detection
from moderation.verdict import Stage

HARM_WEIGHTS = "harm.npz"


HARMFUL = "harmful"


def combine(raw: dict[str, float]) -> dict[str, float]:
    """Category scores from the raw head outputs.

    A harm category's score is the mean of the any-harm head and that category's own head:
    the any-harm head separates harmful from harmless best (it sees every positive), the
    category head says which kind of harm it is. Advice categories are used as they are.
    """
    harmful = raw.get(HARMFUL)
    scores = {}
    for category in CLASSIFIER_CATEGORIES:
        score = raw[category]
        if category in HARM_CATEGORIES and harmful is not None:
            score = (harmful + score) / 2.0
        scores[str(category)] = score
    return scores


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores for the harm categories and the advice categories."""
    return Detection(scores=combine(packaged_heads(HARM_WEIGHTS).score(features)))


def load() -> None:
    """Load the embedding model and the heads (the registry calls this once per process)."""
    packaged_heads(HARM_WEIGHTS).score(TextFeatures("warm up"))
