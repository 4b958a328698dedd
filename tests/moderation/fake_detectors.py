"""Detectors with known behaviour, named from test policies by dotted path."""

from __future__ import annotations

import time

from moderation.features import TextFeatures
from moderation.registry import Detection
from moderation.verdict import Stage


def forbidden_word(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores violence 1.0 when the text contains FORBIDDEN."""
    return Detection(scores={"violence_and_threats": 1.0 if "FORBIDDEN" in text else 0.0})


def explode(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Always fails, like a detector whose model file is corrupt."""
    raise RuntimeError("model file is corrupt")


def slow(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Takes longer than any test time limit."""
    time.sleep(1.0)
    return Detection()
