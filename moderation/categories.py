"""The moderation categories: Mistral's nine plus jailbreak and prompt injection."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """A moderation category; the value is what appears in scores and policies."""

    SEXUAL = "sexual"
    HATE_AND_DISCRIMINATION = "hate_and_discrimination"
    VIOLENCE_AND_THREATS = "violence_and_threats"
    DANGEROUS_AND_CRIMINAL_CONTENT = "dangerous_and_criminal_content"
    SELFHARM = "selfharm"
    HEALTH = "health"
    FINANCIAL = "financial"
    LAW = "law"
    PII = "pii"
    JAILBREAK = "jailbreak"
    PROMPT_INJECTION = "prompt_injection"


# Content that is harmful in itself; blocked by default.
HARM_CATEGORIES: tuple[Category, ...] = (
    Category.SEXUAL,
    Category.HATE_AND_DISCRIMINATION,
    Category.VIOLENCE_AND_THREATS,
    Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    Category.SELFHARM,
)

# Requests for professional advice: legitimate at work, so flagged for review, not blocked.
ADVICE_CATEGORIES: tuple[Category, ...] = (Category.HEALTH, Category.FINANCIAL, Category.LAW)

# Categories scored by the trained classifier head (order = row order in the weights file).
CLASSIFIER_CATEGORIES: tuple[Category, ...] = HARM_CATEGORIES + ADVICE_CATEGORIES

ATTACK_CATEGORIES: tuple[Category, ...] = (Category.JAILBREAK, Category.PROMPT_INJECTION)

ALL_CATEGORIES: tuple[Category, ...] = tuple(Category)
