"""An optional LLM guard (e.g. Llama Guard) behind an OpenAI-compatible endpoint; off by default."""

from __future__ import annotations

import functools
import os
from typing import Any

from moderation.categories import Category
from moderation.features import TextFeatures
from moderation.registry import Detection
from moderation.verdict import Stage

URL_ENV = "MODERATION_LLM_GUARD_URL"
MODEL_ENV = "MODERATION_LLM_GUARD_MODEL"
KEY_ENV = "MODERATION_LLM_GUARD_API_KEY"
TIMEOUT_ENV = "MODERATION_LLM_GUARD_TIMEOUT"

# Llama Guard 3 hazard codes mapped onto our categories.
HAZARD_CODES: dict[str, Category] = {
    "S1": Category.VIOLENCE_AND_THREATS,
    "S2": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "S3": Category.SEXUAL,
    "S4": Category.SEXUAL,
    "S5": Category.LAW,
    "S6": Category.HEALTH,
    "S7": Category.PII,
    "S8": Category.LAW,
    "S9": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "S10": Category.HATE_AND_DISCRIMINATION,
    "S11": Category.SELFHARM,
    "S12": Category.SEXUAL,
    "S13": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
    "S14": Category.DANGEROUS_AND_CRIMINAL_CONTENT,
}


class GuardResponseError(RuntimeError):
    """The guard answered something other than 'safe' or 'unsafe\\n<codes>'."""


@functools.cache
def _client(url: str, key: str, timeout: float) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=url, api_key=key, timeout=timeout, max_retries=0)


def parse_guard_reply(reply: str) -> dict[str, float]:
    """Category scores from a Llama Guard style reply ("safe" or "unsafe\\nS1,S10")."""
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines or lines[0].lower() not in {"safe", "unsafe"}:
        raise GuardResponseError(f"unexpected guard reply {reply[:80]!r}")
    if lines[0].lower() == "safe":
        return {}
    codes = [c.strip().upper() for line in lines[1:] for c in line.split(",") if c.strip()]
    cats = {HAZARD_CODES[c] for c in codes if c in HAZARD_CODES}
    # An "unsafe" without a code we know still has to count for something.
    return {str(c): 1.0 for c in cats or {Category.DANGEROUS_AND_CRIMINAL_CONTENT}}


def detect(text: str, features: TextFeatures, stage: Stage) -> Detection:
    """Ask the guard model when MODERATION_LLM_GUARD_URL is set; otherwise find nothing."""
    url = os.environ.get(URL_ENV, "").strip()
    if not url:
        return Detection()
    client = _client(
        url,
        os.environ.get(KEY_ENV, "unused"),
        float(os.environ.get(TIMEOUT_ENV, "5")),
    )
    # Llama Guard judges the last turn: the user's for input and context, the agent's for output.
    if stage is Stage.OUTPUT:
        messages = [{"role": "user", "content": "."}, {"role": "assistant", "content": text}]
    else:
        messages = [{"role": "user", "content": text}]
    response = client.chat.completions.create(
        model=os.environ.get(MODEL_ENV, "llama-guard"),
        messages=messages,
        temperature=0,
        max_tokens=20,
    )
    return Detection(scores=parse_guard_reply(response.choices[0].message.content or ""))


def load() -> None:
    """Import the client library before the first timed check (importing it takes seconds)."""
    if os.environ.get(URL_ENV, "").strip():
        import openai  # noqa: F401
