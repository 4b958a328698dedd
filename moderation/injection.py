"""Prompt-injection and jailbreak detection: a trained head plus high-precision patterns."""

from __future__ import annotations

import re

from moderation.categories import Category
from moderation.features import TextFeatures
from moderation.heads import LinearHeads, has_packaged_heads, packaged_heads
from moderation.registry import Detection
from moderation.verdict import Stage

INJECTION_WEIGHTS = "injection.npz"
# Retrieved passages are scored by a head trained on document sections too, where one ships.
CONTEXT_INJECTION_WEIGHTS = "context-injection.npz"

# Phrases that almost only occur in attacks; each match scores 1.0 on its own. They cover
# English and German, the languages of the training data.
INJECTION_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+)?"
        r"(?:previous|prior|above|earlier|preceding|former|original)\s+"
        r"(?:instructions?|prompts?|rules|directions|directives|context|tasks?)",
        r"\b(?:reveal|print|show|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+"
        r"(?:system\s+prompt|initial\s+(?:prompt|instructions)|hidden\s+instructions)",
        r"\b(?:ignorier\w*|vergiss|vergessen\s+sie)\s+(?:\w+\s+){0,3}"
        r"(?:anweisungen|befehle|instruktionen|aufgaben|vorgaben)",
        r"<\|im_start\|>\s*system|\[/?INST\]|^\s*#{2,}\s*(?:new|system)\s+instructions?",
        r"\bif\s+you\s+are\s+an?\s+(?:ai|language\s+model|llm|assistant)\b.{0,40}\b"
        r"(?:ignore|stop|instead|must)\b",
    )
)

JAILBREAK_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bdo\s+anything\s+now\b|\byou\s+are\s+(?:now\s+)?DAN\b|\bact\s+as\s+DAN\b",
        r"\bdeveloper\s+mode\s+(?:enabled|on|activated)\b|\benable\s+developer\s+mode\b",
        r"\b(?:without|no)\s+(?:any\s+)?(?:content\s+)?(?:restrictions|filters|censorship|"
        r"guidelines|limitations)\b.{0,60}\b(?:answer|respond|reply)",
        r"\byou\s+are\s+no\s+longer\s+(?:bound|restricted|an?\s+ai)",
        r"\bpretend\s+(?:that\s+)?you\s+(?:are|have)\s+(?:an?\s+ai\s+)?(?:with\s+)?no\s+"
        r"(?:rules|restrictions|guidelines|filters)",
        r"\bjailbr(?:o|ea)k(?:en|ed)?\s+mode\b",
    )
)


def pattern_score(text: str, patterns: tuple[re.Pattern[str], ...]) -> float:
    """1.0 when any pattern matches, else 0.0."""
    return 1.0 if any(p.search(text) for p in patterns) else 0.0


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Scores for prompt_injection (head or any pattern) and jailbreak (patterns)."""
    head = _head(stage).score(features)[Category.PROMPT_INJECTION]
    jailbreak = pattern_score(text, JAILBREAK_PATTERNS)
    injection = max(head, pattern_score(text, INJECTION_PATTERNS), jailbreak)
    return Detection(scores={Category.PROMPT_INJECTION: injection, Category.JAILBREAK: jailbreak})


def _head(stage: Stage) -> LinearHeads:
    if stage is Stage.CONTEXT and has_packaged_heads(CONTEXT_INJECTION_WEIGHTS):
        return packaged_heads(CONTEXT_INJECTION_WEIGHTS)
    return packaged_heads(INJECTION_WEIGHTS)


def load() -> None:
    """Load the embedding model and the heads (the registry calls this once per process)."""
    features = TextFeatures("warm up")
    _head(Stage.INPUT).score(features)
    _head(Stage.CONTEXT).score(features)
