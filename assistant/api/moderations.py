"""POST /v1/moderations: the moderation module in the OpenAI response shape.

`flagged`, `categories` and `category_scores` follow OpenAI (with this product's category names);
the extra fields `action`, `stage`, `rule` and `pii` say what the policy would do with the text.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

import moderation
from assistant.api.auth import chat_auth
from assistant.api.errors import ApiError

MODERATION_MODEL = "assistant-moderation"
MAX_INPUTS = 32
MAX_INPUT_CHARS = 32_000

router = Router(auth=chat_auth, tags=["OpenAI-compatible"])


class ModerationIn(Schema):
    model_config = ConfigDict(extra="ignore")

    input: str | list[str] = Field(..., description="A text or a list of texts.")
    model: str | None = None
    stage: moderation.Stage = Field(
        moderation.Stage.INPUT,
        description="Extra field: which stage's policy to apply (input, context or output).",
    )


class PiiSpanOut(Schema):
    start: int
    end: int
    kind: str


class ModerationResultOut(Schema):
    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    action: str
    stage: str
    rule: str | None
    pii: list[PiiSpanOut]


class ModerationOut(Schema):
    id: str
    model: str
    results: list[ModerationResultOut]


def moderation_result(verdict: moderation.Verdict) -> dict[str, Any]:
    """One verdict as an OpenAI moderation result."""
    names = [str(category) for category in moderation.Category]
    return {
        # A flag, a redaction or a block all mean "a category was triggered".
        "flagged": verdict.action is not moderation.Action.ALLOW,
        "categories": {name: name in verdict.categories for name in names},
        "category_scores": {name: round(float(verdict.scores.get(name, 0.0)), 4) for name in names},
        "action": str(verdict.action),
        "stage": str(verdict.stage),
        "rule": verdict.rule,
        "pii": [{"start": s.start, "end": s.end, "kind": s.kind} for s in verdict.pii],
    }


@router.post("/moderations", response=ModerationOut)
def moderations_create(request: HttpRequest, body: ModerationIn) -> dict[str, Any]:
    """Classify texts with the local moderation module."""
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or len(texts) > MAX_INPUTS or any(len(t) > MAX_INPUT_CHARS for t in texts):
        raise ApiError(
            f"input must be 1 to {MAX_INPUTS} texts of at most {MAX_INPUT_CHARS} characters.",
            400,
            param="input",
        )
    return {
        "id": f"modr-{uuid.uuid4().hex}",
        "model": MODERATION_MODEL,
        "results": [moderation_result(moderation.check(t, stage=body.stage)) for t in texts],
    }
