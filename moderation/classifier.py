"""The harm and advice classifier: trained heads on MiniLM embeddings and character n-grams."""

from __future__ import annotations

from moderation.categories import CLASSIFIER_CATEGORIES, HARM_CATEGORIES
from moderation.features import TextFeatures
from moderation.heads import (
    EmbeddingHeads,
    has_packaged_heads,
    packaged_embedding_heads,
    packaged_heads,
)
from moderation.registry import Detection
from moderation.verdict import Stage

HARM_WEIGHTS = "harm.npz"
# Harm heads trained on the OpenAI moderation set alone (moderation/README.md, "The OpenAI-set
# heads"); weights written before 2026-12-08 have none, and their scores are the main heads'.
OPENAI_HARM_WEIGHTS = "harm-openai.npz"


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


def mix(
    scores: dict[str, float], openai: dict[str, float], shares: dict[str, float]
) -> dict[str, float]:
    """Each harm category's score with the OpenAI-set heads' score mixed in at its share.

    ``openai`` holds those heads' category scores (`combine`d like the main heads': the mean of
    their any-harm head and the category's head); a category with no share keeps its score.
    """
    out = dict(scores)
    for category, share in shares.items():
        if share > 0.0 and category in out:
            out[category] = (1.0 - share) * out[category] + share * openai[category]
    return out


def combine_harm(raw: dict[str, float]) -> dict[str, float]:
    """Harm category scores of heads that have only the harm labels and the any-harm label."""
    harmful = raw[HARMFUL]
    return {str(c): (harmful + raw[str(c)]) / 2.0 for c in HARM_CATEGORIES}


def _openai_heads() -> EmbeddingHeads | None:
    return (
        packaged_embedding_heads(OPENAI_HARM_WEIGHTS)
        if has_packaged_heads(OPENAI_HARM_WEIGHTS)
        else None
    )


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores for the harm categories and the advice categories."""
    scores = combine(packaged_heads(HARM_WEIGHTS).score(features))
    openai = _openai_heads()
    if openai is not None:
        scores = mix(scores, combine_harm(openai.score(features)), openai.shares())
    return Detection(scores=scores)


def load() -> None:
    """Load the embedding model and the heads (the registry calls this once per process)."""
    detect("warm up", TextFeatures("warm up"), Stage.INPUT)
