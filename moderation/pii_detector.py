"""The PII detector as the registry calls it."""

from __future__ import annotations

from moderation.categories import Category
from moderation.features import TextFeatures
from moderation.pii import find_pii
from moderation.registry import Detection
from moderation.verdict import Stage


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Score 1.0 for the pii category when any PII span is found."""
    spans = find_pii(text)
    return Detection(scores={Category.PII: 1.0 if spans else 0.0}, pii=spans)
