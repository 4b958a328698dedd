"""The PII detector as the registry calls it."""

from __future__ import annotations

from moderation.categories import Category
from moderation.features import TextFeatures
from moderation.pii import find_pii
from moderation.privacy import asks_for_personal_data
from moderation.registry import Detection
from moderation.verdict import Stage


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Score 1.0 for the pii category when any PII span is found, or, at input, when the text
    asks for a private person's sensitive personal data (`moderation.privacy`)."""
    spans = find_pii(text)
    asks = stage is Stage.INPUT and asks_for_personal_data(text)
    return Detection(scores={Category.PII: 1.0 if spans or asks else 0.0}, pii=spans)
